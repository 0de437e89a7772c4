import { describe, expect, it } from 'vitest';
import { createLogging } from '../../../src/telemetry/logger.ts';
import { LogCapture } from '../../support/harness.ts';

describe('logger', () => {
  it('redacts credentials wherever they appear in a logged object', async () => {
    const out = new LogCapture();
    const log = createLogging({ level: 'info', serviceName: 'svc', lokiUrl: undefined, destination: out }).logger;
    log.info(
      {
        authorization: 'Bearer sk-1',
        headers: { authorization: 'Bearer sk-2', 'api-key': 'k-3' },
        config: { upstreamApiKey: 'sk-4', apiKey: 'sk-5' },
      },
      'x',
    );
    const text = JSON.stringify(out.lines);
    for (const secret of ['sk-1', 'sk-2', 'k-3', 'sk-4', 'sk-5']) expect(text).not.toContain(secret);
    expect(out.lines[0]).toMatchObject({
      service: 'svc',
      authorization: '[REDACTED]',
      headers: { authorization: '[REDACTED]', 'api-key': '[REDACTED]' },
    });
  });

  it("writes pino's numeric level and epoch-ms time (what the Loki queue reads)", () => {
    const out = new LogCapture();
    createLogging({ level: 'info', serviceName: 'svc', lokiUrl: undefined, destination: out }).logger.warn({ event: 'e' });
    expect(out.lines[0]).toMatchObject({ level: 40, service: 'svc', event: 'e' });
    expect(Math.abs((out.lines[0]!['time'] as number) - Date.now())).toBeLessThan(5_000);
  });
});
