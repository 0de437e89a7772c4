// Markdown tables with padded columns (readable in a terminal and pasteable into RESULTS.md).
export function table(header: string[], rows: string[][], rightAlign: (col: number) => boolean = (c) => c > 1): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, c) => (rightAlign(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (rightAlign(c) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Number formatting for the tables: NaN/undefined as an em dash. */
export function num(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

export function signed(value: number | undefined, digits = 2): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

export const mib = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) ? '—' : (bytes / 1048576).toFixed(0));
