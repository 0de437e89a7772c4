// A hand-written SVG, drawn only from measured data: grouped bars of the added p50/p99 latency
// (vs direct, same scenario and rate) per target per scenario, one panel per fixed-rate shape.
// A target that could not keep up with a rate (or whose direct baseline could not) gets a hatched
// stub marked "saturated".
import { saturated, type BenchResult, type Shape } from './result.ts';

const COLORS: Record<string, string> = { nginx: '#2e8b57', relay: '#1f6fb4', 'relay-before': '#7b4fb0', 'relay-otel-off': '#e08a1e' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const BAR = 16;
const LEFT = 60;
const PLOT_H = 260;

function niceStep(range: number): number {
  const raw = range / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
}

interface Bar {
  scenario: string;
  target: string;
  p50: number;
  p99: number;
  rate: number;
  saturated: boolean;
}

function barsOf(r: BenchResult, shape: Exclude<Shape, 'max'>): Bar[] {
  return r.scenarios.flatMap((s) => {
    const direct = s.targets.find((t) => t.target === 'direct')?.[shape];
    if (!direct) return [];
    return s.targets.flatMap((t) => {
      const p = t[shape];
      if (t.target === 'direct' || !p) return [];
      const d = direct.latencyMs;
      // Either side behind the rate: its latency is a queue, nothing to compare.
      const behind = saturated(p) || saturated(direct);
      return [
        {
          scenario: s.name,
          target: t.target,
          p50: p.latencyMs.p50 - d.p50,
          p99: p.latencyMs.p99 - d.p99,
          rate: p.targetRps ?? 0,
          saturated: behind,
        },
      ];
    });
  });
}

/** One panel; returns its SVG elements and height. */
function panel(bars: Bar[], title: string, top: number, width: number, groupW: number): { svg: string[]; height: number } {
  const targets = [...new Set(bars.map((b) => b.target))];
  const scenarios = [...new Set(bars.map((b) => b.scenario))];
  const shown = bars.filter((b) => !b.saturated).flatMap((b) => [b.p50, b.p99]);
  const hi = Math.max(shown.length > 0 ? 0.1 : 1, ...shown);
  const lo = Math.min(0, ...shown);
  const step = niceStep(hi - lo);
  const yMax = Math.ceil((hi * 1.1) / step) * step;
  // A slightly negative value (noise: the proxy's p99 below direct's) is drawn as a sliver at 0.
  const yMin = lo < -0.1 * step ? Math.floor(lo / step) * step : 0;
  const plotTop = top + 30;
  const y = (v: number) => plotTop + ((yMax - Math.max(yMin, Math.min(yMax, v))) / (yMax - yMin)) * PLOT_H;
  const svg = [`<text x="${LEFT}" y="${top + 14}" font-size="13" font-weight="bold">${esc(title)}</text>`];
  for (let v = yMin; v <= yMax + step / 2; v += step) {
    const yy = y(v).toFixed(1);
    svg.push(
      `<line x1="${LEFT}" x2="${width - 20}" y1="${yy}" y2="${yy}" stroke="${Math.abs(v) < step / 2 ? '#333' : '#ddd'}"/>`,
      `<text x="${LEFT - 6}" y="${yy}" dy="4" text-anchor="end">${Number(v.toPrecision(6))}</text>`,
    );
  }
  svg.push(`<text transform="translate(16,${plotTop + PLOT_H / 2}) rotate(-90)" text-anchor="middle">added ms</text>`);
  if (shown.length === 0) {
    svg.push(
      `<text x="${LEFT + 20}" y="${plotTop + PLOT_H / 2}" fill="#b00">every proxy fell behind this rate: no latency to compare (see the table)</text>`,
    );
  }
  scenarios.forEach((name, g) => {
    const gx = LEFT + g * groupW + 15;
    targets.forEach((t, i) => {
      const b = bars.find((x) => x.scenario === name && x.target === t);
      if (!b) return;
      (['p50', 'p99'] as const).forEach((key, k) => {
        const x = gx + i * (2 * BAR + 10) + k * BAR;
        const y0 = y(0);
        const color = COLORS[t] ?? '#888';
        const tip = `<title>${esc(`${name} ${t} ${key} at ${b.rate} req/s: ${b.saturated ? 'saturated' : `${b[key].toFixed(3)} ms added`}`)}</title>`;
        if (b.saturated) {
          svg.push(
            `<rect x="${x}" y="${(y0 - 12).toFixed(1)}" width="${BAR - 2}" height="12" fill="url(#hatch)" stroke="${color}">${tip}</rect>`,
            k === 0
              ? `<text transform="translate(${x + BAR + 3},${(y0 - 16).toFixed(1)}) rotate(-90)" font-size="9" fill="#b00">saturated</text>`
              : '',
          );
          return;
        }
        const y1 = y(b[key]);
        svg.push(
          `<rect x="${x}" y="${Math.min(y0, y1).toFixed(1)}" width="${BAR - 2}" height="${Math.max(0.5, Math.abs(y1 - y0)).toFixed(1)}" fill="${color}" fill-opacity="${k === 0 ? 1 : 0.45}">${tip}</rect>`,
          `<text transform="translate(${x + BAR / 2 + 3},${(Math.min(y0, y1) - 4).toFixed(1)}) rotate(-90)" font-size="9">${b[key].toFixed(2)}</text>`,
        );
      });
    });
    const rate = bars.find((b) => b.scenario === name)?.rate;
    const cx = gx + (targets.length * (2 * BAR + 10)) / 2 - 5;
    svg.push(
      `<text x="${cx}" y="${plotTop + PLOT_H + 18}" text-anchor="middle">${esc(name)}</text>`,
      `<text x="${cx}" y="${plotTop + PLOT_H + 32}" text-anchor="middle" fill="#555" font-size="10">${rate} req/s</text>`,
    );
  });
  return { svg, height: PLOT_H + 75 };
}

export function chart(r: BenchResult): string {
  const share = `${Math.round(r.options.rateShare * 100)} %`;
  const panels = [
    { bars: barsOf(r, 'rate'), title: `(b) at ${share} of the direct path's max req/s` },
    { bars: barsOf(r, 'low'), title: `(c) at ${share} of the slowest target's max req/s` },
  ].filter((p) => p.bars.length > 0);
  const targets = [...new Set(panels.flatMap((p) => p.bars.map((b) => b.target)))];
  const groupW = Math.max(120, targets.length * (2 * BAR + 10) + 30);
  const width = Math.max(560, LEFT + r.scenarios.length * groupW + 20);
  const svg: string[] = [];
  let y = 84;
  for (const p of panels) {
    const drawn = panel(p.bars, p.title, y, width, groupW);
    svg.push(...drawn.svg);
    y += drawn.height;
  }
  let lx = LEFT;
  const legend: string[] = [];
  for (const t of targets) {
    legend.push(
      `<rect x="${lx}" y="44" width="12" height="12" fill="${COLORS[t] ?? '#888'}"/><text x="${lx + 16}" y="54">${esc(t)}</text>`,
    );
    lx += 28 + t.length * 7;
  }
  legend.push(`<text x="${LEFT}" y="74" fill="#555">solid: p50, light: p99; added = proxy − direct, same scenario, same rate</text>`);
  const m = r.machine;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" viewBox="0 0 ${width} ${y + 10}" font-family="sans-serif" font-size="11">`,
    `<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="4" stroke="#b00" stroke-width="1.5"/></pattern></defs>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${LEFT}" y="20" font-size="15" font-weight="bold">embedding-relay: added latency vs direct at a fixed rate</text>`,
    `<text x="${LEFT}" y="36" fill="#555">${esc(`${r.date.slice(0, 10)}; ${m.cpus} × ${m.cpuModel}; Node ${m.node}; ${m.nginx ?? 'no nginx'}; ${r.options.quick ? 'quick' : 'full'} run, ${r.options.durationS} s per phase`)}</text>`,
    ...legend,
    ...svg,
    '</svg>',
    '',
  ].join('\n');
}
