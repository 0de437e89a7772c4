import { describe, expect, it } from 'vitest';
import { exportFailureReason, exportFailureReporter } from '../../../src/telemetry/export-warnings.ts';

describe('export failure warnings', () => {
  it('one line at once, then at most one a minute with the count of the others', () => {
    const lines: string[] = [];
    let t = 0;
    const report = exportFailureReporter(
      (l) => lines.push(l),
      () => t,
      60_000,
    );
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4318'), { code: 'ECONNREFUSED' });
    report(err);
    t = 1_000;
    report(err);
    t = 30_000;
    report(err);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^embedding-relay: warning: telemetry export failed: connect ECONNREFUSED 127\.0\.0\.1:4318\. Spans/);
    t = 61_000;
    report(err);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('connect ECONNREFUSED 127.0.0.1:4318 (2 more since the last warning).');
  });

  it('a reason is one short line, whatever was thrown', () => {
    expect(exportFailureReason(new Error('a\n    at x'))).toBe('a');
    expect(exportFailureReason({ message: 'HTTP 404', stack: 'x' })).toBe('HTTP 404');
    expect(exportFailureReason('Bad Request\nmore')).toBe('Bad Request');
    expect(exportFailureReason(42)).toBe('42');
  });
});
