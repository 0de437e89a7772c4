// A body over RELAY_MAX_BODY_BYTES gets its 413 even while the client is still uploading: the
// relay answers, reads and discards the rest (lingering close, bounded), then closes. Closing at
// once reset the connection under the upload, and clients reported a connection error instead of
// the 413 (openai-node `fetch failed` 6 of 20 at 5 MB; AsyncOpenAI 100 of 100; see also
// test/clients/ for the Python clients).
import { connect, type Socket } from 'node:net';
import OpenAI, { APIConnectionError, APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINGER, ModelSniffer } from '../../src/protocol/body.ts';
import { until } from '../support/fake-loki.ts';
import { jsonLines, startRelayProcess, type RelayProcess } from '../support/relay-process.ts';

const LIMIT = 1024 * 1024;
// A relay process, as users run it: in one process with the client the race does not show.
let r: RelayProcess;
const logs = () => jsonLines(r.out.stdout).filter((l) => l['event'] === 'embedding_request');

beforeAll(async () => {
  r = await startRelayProcess({ RELAY_MAX_BODY_BYTES: String(LIMIT), OTEL_TRACES_EXPORTER: 'none' });
});

afterAll(async () => {
  expect(await r?.stop()).toBe(0);
});

const requestHead = (contentLength: number, extraHeaders = '') =>
  `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${extraHeaders}content-length: ${contentLength}\r\n\r\n`;

/**
 * One raw HTTP/1.1 exchange with the relay (what fetch cannot show: the bytes, the order, how the
 * connection ends): writes `head`, lets `send` write the rest, calls `onData` with everything
 * received so far, and resolves when the connection closes with what came back and the socket
 * error code, if any.
 */
function rawExchange(
  head: string,
  send?: (socket: Socket) => void,
  onData?: (socket: Socket, received: string) => void,
): Promise<{ text: string; error: string | undefined }> {
  const addr = new URL(r.url);
  return new Promise((resolve) => {
    const socket = connect(Number(addr.port), addr.hostname);
    let text = '';
    let error: string | undefined;
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      onData?.(socket, text);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    socket.on('close', () => resolve({ text, error }));
    socket.write(head);
    send?.(socket);
  });
}

/** Each outcome of `tries` calls: the HTTP status of an API error, or 'connection error'. */
async function outcomes(client: OpenAI, input: string, tries: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < tries; i++) {
    let key: string;
    try {
      await client.embeddings.create({ model: 'm-oversized', input });
      key = 'ok';
    } catch (err) {
      key = err instanceof APIConnectionError ? 'connection error' : err instanceof APIError ? String(err.status) : String(err);
    }
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('oversized uploads: the client always gets the 413', { timeout: 120_000 }, () => {
  it.each([
    [5, 20],
    [50, 20],
  ])('openai-node, %i MB, %i tries: every one a 413, no connection error', async (mb, tries) => {
    const client = new OpenAI({ baseURL: `${r.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const input = 'x'.repeat(mb * 1_000_000);
    expect(await outcomes(client, input, tries)).toEqual({ '413': tries });
  });

  it('the log line names the model even though it came after 50 MB of input', async () => {
    // A request is logged when its upload has been drained, which may be after the client had its 413.
    await until(() => logs().filter((l) => l['error_type'] === 'body_too_large').length >= 40, 10_000, '40 log lines');
    const lines = logs().filter((l) => l['error_type'] === 'body_too_large');
    expect(lines.length).toBe(40);
    expect(new Set(lines.map((l) => l['model']))).toEqual(new Set(['m-oversized']));
  });

  it('raw socket: the 413 arrives while the upload goes on, and the connection ends with FIN after it, not a reset', async () => {
    const total = 8 * 1024 * 1024;
    const head = '{"model":"m-raw","input":"';
    let sent = head.length;
    let sentAtResponse = -1;
    const result = await rawExchange(
      requestHead(total) + head,
      (socket) => {
        const chunk = Buffer.alloc(256 * 1024, 'z');
        const pump = () => {
          while (sent < total - 2) {
            const n = Math.min(chunk.length, total - 2 - sent);
            sent += n;
            if (!socket.write(chunk.subarray(0, n))) return void socket.once('drain', pump);
          }
          sent += 2;
          socket.end('"}'); // exactly `total` bytes: nothing arrives after the relay is done reading
        };
        // Give the relay time to answer before most of the body is sent.
        setTimeout(pump, 50);
      },
      () => {
        if (sentAtResponse < 0) sentAtResponse = sent;
      },
    );
    expect(result.error).toBeUndefined();
    expect(result.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.text).toContain('"code":"body_too_large"');
    expect(result.text.toLowerCase()).toContain('connection: close');
    expect(sent - sentAtResponse).toBeGreaterThan(1024 * 1024); // it kept reading after answering
  });

  it('a declared length beyond the lingering bound is answered and closed at once', async () => {
    const declared = LIMIT + Math.max(LINGER.minBytes, LIMIT * LINGER.factor) + 1;
    const started = Date.now();
    const { text } = await rawExchange(`${requestHead(declared)}{"model":"m-huge"`);
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(Date.now() - started).toBeLessThan(LINGER.idleMs);
  });
});

describe('oversized uploads, continued', { timeout: 60_000 }, () => {
  it('the recorded duration is the time to answer, not the time spent discarding a slow upload', async () => {
    const total = 2 * LIMIT;
    const head = '{"model":"m-slow-413","input":"';
    const { text } = await rawExchange(requestHead(total) + head, (socket) => {
      socket.write(Buffer.alloc(LIMIT + 10, 'z'));
      // The rest only after 1.5 s: the relay has answered and is discarding meanwhile.
      setTimeout(() => socket.end(Buffer.concat([Buffer.alloc(total - LIMIT - 10 - head.length - 2, 'z'), Buffer.from('"}')])), 1_500);
    });
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    await until(() => logs().some((l) => l['model'] === 'm-slow-413'), 5_000, 'the log line');
    const line = logs().find((l) => l['model'] === 'm-slow-413')!;
    expect(line['duration_ms'] as number).toBeLessThan(1_000);
  });

  it('Expect: 100-continue with an announced oversized body: a 413 and no 100 Continue, so nothing is uploaded', async () => {
    const started = Date.now();
    const { text } = await rawExchange(requestHead(5 * LIMIT, 'expect: 100-continue\r\n'));
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).not.toContain('100 Continue');
    expect(Date.now() - started).toBeLessThan(LINGER.idleMs);
  });

  it('Expect: 100-continue with a body that fits: 100 Continue, then the answer', async () => {
    const body = JSON.stringify({ model: 'm-continue', input: 'x' });
    let sentBody = false;
    const { text } = await rawExchange(requestHead(body.length, 'expect: 100-continue\r\n'), undefined, (socket, out) => {
      if (!sentBody && out.includes('100 Continue\r\n\r\n')) {
        sentBody = true;
        socket.write(body);
      }
      if (out.includes('"object":"list"')) socket.end();
    });
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });
});

describe('ModelSniffer', () => {
  it('finds "model" split across chunks, after a long input, with escapes', () => {
    const body = Buffer.from(`{"input":"${'a'.repeat(100_000)} \\"model\\": \\"not me\\"","model" : "Qwen/Qwen3-\\u00e9\\"x"}`);
    const s = new ModelSniffer();
    for (let i = 0; i < body.length; i += 7_001) s.push(body.subarray(i, i + 7_001));
    expect(s.model).toBe('Qwen/Qwen3-é"x');
  });
});
