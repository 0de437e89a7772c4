// The Loki queue (loki/queue.ts): retry rules, the byte bound, and createLogging's tee of every
// line to stdout and the queue.
import { afterEach, describe, expect, it } from 'vitest';
import { PROBE_HEADER } from '../../../../src/core/headers.ts';
import { LogDropCounts } from '../../../../src/telemetry/loki/drops.ts';
import { createLogging } from '../../../../src/telemetry/logger.ts';
import { lokiPushUrl } from '../../../../src/telemetry/loki/push.ts';
import { LokiQueue, type LokiQueueOptions } from '../../../../src/telemetry/loki/queue.ts';
import { FakeLoki, sleep, until } from '../../../support/fake-loki.ts';
import { LogCapture } from '../../../support/harness.ts';

let loki: FakeLoki | undefined;
afterEach(async () => {
  await loki?.stop().catch(() => undefined);
  loki = undefined;
});

const line = (i: number, level = 30) => JSON.stringify({ level, time: 1_700_000_000_000 + i, service: 's', event: 'e', i });

function queue(overrides: Partial<LokiQueueOptions> & { host: string }) {
  const notices: Record<string, unknown>[] = [];
  const drops = new LogDropCounts();
  const q = new LokiQueue({
    labels: { service_name: 's' },
    service: 's',
    minLevel: 30,
    maxLines: 1000,
    maxBytes: 1024 * 1024,
    drops,
    batchIntervalMs: 20,
    retryBaseMs: 20,
    retryMaxMs: 100,
    shutdownFlushMs: 500,
    notice: (l) => notices.push(JSON.parse(l) as Record<string, unknown>),
    ...overrides,
  });
  return { q, notices, drops: () => drops.read() };
}

describe('Loki queue', () => {
  it('retries 429 and 5xx until Loki takes the batch; drops and counts a 4xx batch without retrying it', async () => {
    loki = new FakeLoki();
    await loki.start();
    const l = loki;
    const { q, notices, drops } = queue({ host: l.url });
    l.answer = 429;
    for (let i = 0; i < 3; i++) q.add(line(i));
    await until(() => l.refusedPushes >= 2, 2_000, 'two 429s');
    l.answer = 503;
    await until(() => l.refusedPushes >= 3, 2_000, 'a 503');
    l.answer = 'up';
    await until(() => l.entries.length === 3, 2_000, 'delivery after 429/503');
    expect(l.entries.map((e) => e.line['i'])).toEqual([0, 1, 2]);
    expect(l.entries.map((e) => e.ts)).toEqual(['1700000000000000000', '1700000000001000000', '1700000000002000000']);

    l.answer = 400;
    const before = l.pushes;
    q.add(line(3));
    q.add(line(4, 50));
    await until(() => drops().rejected === 2, 2_000, 'the rejected batch counted');
    await sleep(300);
    expect(l.pushes).toBe(before + 1); // not retried
    expect(q.size).toBe(0);
    expect(notices.map((n) => n['event'])).toEqual(['loki_push_failed', 'loki_push_recovered', 'loki_push_rejected']);
    expect(notices[2]).toMatchObject({ level: 40, http_status: 400, dropped_lines: 2, loki_response: 'fake loki says no' });
    expect(drops()).toEqual({ buffer_full: 0, rejected: 2, shutdown: 0 });
    await q.close();
  });

  it('bounds the queue by bytes: never holds more than RELAY_LOKI_BUFFER_MAX_BYTES, counts the rest', async () => {
    loki = new FakeLoki();
    await loki.start();
    const l = loki;
    await l.stop();
    const each = Buffer.byteLength(line(0));
    const { q, notices, drops } = queue({ host: l.url, maxBytes: each * 10 + each / 2 });
    for (let i = 0; i < 100; i++) {
      q.add(line(i));
      expect(q.bytes).toBeLessThanOrEqual(each * 10 + each / 2);
    }
    expect(q.size).toBe(10);
    expect(drops().buffer_full).toBe(90);
    expect(notices.filter((n) => n['event'] === 'loki_log_dropped')).toHaveLength(1);
    await l.start();
    await until(() => l.entries.length === 10, 2_000, 'the ten queued lines');
    expect(l.entries.map((e) => e.line['i'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await q.close();
  });

  it('close() is bounded even when Loki accepts the push and never answers (the push under way is aborted)', async () => {
    const { createServer } = await import('node:http');
    const { listen } = await import('../../../../src/server/listen.ts');
    const blackhole = await listen(
      createServer(() => {}),
      '127.0.0.1',
      0,
    ); // accepts, never answers
    try {
      const { q, drops } = queue({ host: blackhole.url, timeoutMs: 10_000, shutdownFlushMs: 300 });
      for (let i = 0; i < 5; i++) q.add(line(i));
      await sleep(100); // the first push is now under way, with a 10 s timeout
      const t0 = performance.now();
      await q.close();
      expect(performance.now() - t0).toBeLessThan(1_500);
      expect(drops().shutdown).toBe(5);
    } finally {
      blackhole.server.closeAllConnections();
      await blackhole.close();
    }
  });

  it('a Retry-After of 0 does not make it retry in a tight loop', async () => {
    loki = new FakeLoki();
    await loki.start();
    const l = loki;
    l.answer = 503;
    l.retryAfter = '0';
    const { q } = queue({ host: l.url, retryBaseMs: 100 });
    q.add(line(0));
    await sleep(550);
    expect(l.refusedPushes).toBeLessThanOrEqual(7); // ~every 100 ms at most, not hundreds
    l.answer = 'up';
    await until(() => l.entries.length === 1, 2_000, 'delivery');
    await q.close();
  });

  it('keeps per-stream order with one stream per level label', async () => {
    loki = new FakeLoki();
    await loki.start();
    const l = loki;
    const { q } = queue({ host: l.url });
    for (let i = 0; i < 6; i++) q.add(line(i, i % 2 ? 50 : 30));
    await until(() => l.entries.length === 6, 2_000, 'six lines');
    expect(l.entries.filter((e) => e.labels['level'] === 'error').map((e) => e.line['i'])).toEqual([1, 3, 5]);
    expect(l.entries.filter((e) => e.labels['level'] === 'info').map((e) => e.line['i'])).toEqual([0, 2, 4]);
    await q.close();
  });

  it('createLogging writes every line to stdout and to Loki; close() pushes what is still queued', async () => {
    loki = new FakeLoki();
    await loki.start();
    const l = loki;
    const out = new LogCapture();
    const logging = createLogging({ level: 'info', serviceName: 'svc-ts', lokiUrl: l.url, destination: out });
    logging.logger.info({ event: 'shipped' }, 'hello');
    await until(() => l.entries.length === 1, 5_000, 'the line in Loki');
    expect(l.entries[0]).toMatchObject({
      labels: { service_name: 'svc-ts', level: 'info' },
      line: { event: 'shipped', msg: 'hello' },
    });
    expect(l.entries[0]!.ts).toBe(`${out.lines[0]!['time'] as number}000000`);
    // Marked as the relay's own call: the undici instrumentation makes no span or metric of it.
    expect(l.headers?.[PROBE_HEADER]).toBe('loki');
    logging.logger.warn({ event: 'at_close' });
    const t0 = Date.now();
    await logging.close();
    // Pushed by close() itself, not by the next 1 s batch.
    expect(Date.now() - t0).toBeLessThan(500);
    expect(l.entries.map((e) => e.line['event'])).toEqual(['shipped', 'at_close']);
    expect(out.lines.map((x) => x['event'])).toEqual(['shipped', 'at_close']);
  });

  it.each([
    ['http://loki:3100', 'http://loki:3100/loki/api/v1/push'],
    ['http://loki:3100/', 'http://loki:3100/loki/api/v1/push'],
    ['http://vl:9428/insert', 'http://vl:9428/insert/loki/api/v1/push'],
    ['https://gw.example/tenant-a/logs/', 'https://gw.example/tenant-a/logs/loki/api/v1/push'],
    ['http://loki:3100/loki/api/v1/push', 'http://loki:3100/loki/api/v1/push'],
    ['https://u:p@gw.example/a/loki/api/v1/push/', 'https://u:p@gw.example/a/loki/api/v1/push'],
  ])('LOKI_URL %s pushes to %s (the path prefix is kept)', (base, push) => {
    expect(lokiPushUrl(base).href).toBe(push);
  });

  it('a Loki behind a gateway path prefix receives the pushes under that prefix', async () => {
    loki = new FakeLoki('/tenant-a/logs');
    await loki.start();
    const l = loki;
    const { q, drops } = queue({ host: `${l.url}/tenant-a/logs` });
    q.add(line(1));
    await until(() => l.entries.length === 1, 2_000, 'the line under the prefix');
    expect(l.pushes).toBe(1);
    expect(drops().rejected).toBe(0);
    await q.close();
  });

  it('credentials in LOKI_URL become HTTP Basic auth (fetch refuses them in the URL)', async () => {
    loki = new FakeLoki('/base');
    await loki.start();
    const l = loki;
    const { q } = queue({ host: `http://12345:glc%40token@127.0.0.1:${l.port}/base` });
    q.add(line(1));
    await until(() => l.entries.length === 1, 2_000, 'the line pushed with credentials');
    expect(l.authorization).toBe(`Basic ${Buffer.from('12345:glc@token').toString('base64')}`);
    await q.close();
  });
});
