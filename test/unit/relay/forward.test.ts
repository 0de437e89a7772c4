// forward(): the upstream body into a real client response, with backpressure, and either side's
// failure ending the other, as stream.pipeline did.
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { forward, ResponseClosedError } from '../../../src/relay/forward.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A server whose one request is answered by `answer`; returns its port. */
async function serve(answer: (res: ServerResponse) => void): Promise<number> {
  const server = createServer((_req, res) => answer(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

/** The whole body of a GET to the server on `port`. */
function get(port: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    request({ port, host: '127.0.0.1' }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts)));
    })
      .on('error', reject)
      .end();
  });
}

const chunks = (n: number, size: number) => Array.from({ length: n }, (_, i) => Buffer.alloc(size, 97 + (i % 26)));

it('streams every chunk to the client and to the reader, in order, and settles when the response finished', async () => {
  const sent = chunks(20, 64 * 1024);
  const read: Buffer[] = [];
  let settled: Promise<void> | undefined;
  const port = await serve((res) => {
    res.writeHead(200);
    settled = forward(Readable.from(sent), res, (c) => read.push(c), { release: false });
  });
  const got = await get(port);
  await settled;
  expect(got.equals(Buffer.concat(sent))).toBe(true);
  expect(Buffer.concat(read).equals(Buffer.concat(sent))).toBe(true);
});

it('with release, frees each written chunk that is a whole ArrayBuffer once the socket took it, and no other', async () => {
  // Socket reads are whole ArrayBuffers (Buffer.alloc above 4 KiB is too); a view into a larger
  // buffer is someone else's memory.
  const whole = chunks(8, 64 * 1024);
  const shared = Buffer.alloc(128 * 1024, 122);
  const sent = [...whole, shared.subarray(0, 64 * 1024)];
  const expected = Buffer.concat(sent);
  let settled: Promise<void> | undefined;
  const port = await serve((res) => {
    res.writeHead(200);
    settled = forward(Readable.from(sent), res, () => {}, { release: true });
  });
  const got = await get(port);
  await settled;
  expect(got.equals(expected)).toBe(true);
  expect(whole.map((c) => c.buffer.byteLength)).toEqual(Array(8).fill(0));
  expect(shared.buffer.byteLength).toBe(128 * 1024);
  expect(shared[0]).toBe(122);
});

it('without release, leaves every chunk as it was (a reader may keep views of them)', async () => {
  const sent = chunks(4, 64 * 1024);
  let settled: Promise<void> | undefined;
  const port = await serve((res) => {
    res.writeHead(200);
    settled = forward(Readable.from(sent), res, () => {}, { release: false });
  });
  await get(port);
  await settled;
  expect(sent.map((c) => c.buffer.byteLength)).toEqual(Array(4).fill(64 * 1024));
});

it('pauses the upstream while the client does not read, and resumes when it does', async () => {
  const body = Readable.from(chunks(256, 64 * 1024)); // 16 MiB: more than the socket buffers hold
  let paused = 0;
  body.on('pause', () => paused++);
  let settled: Promise<void> | undefined;
  const port = await serve((res) => {
    res.writeHead(200);
    settled = forward(body, res, () => {}, { release: false });
  });
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    request({ port, host: '127.0.0.1' }, (res) => {
      res.pause();
      setTimeout(
        () =>
          res
            .on('data', (c: Buffer) => (total += c.length))
            .on('end', resolve)
            .resume(),
        200,
      );
    })
      .on('error', reject)
      .end();
  });
  await settled;
  expect(total).toBe(256 * 64 * 1024);
  expect(paused).toBeGreaterThan(0);
});

/** An upstream body that sent 1 KiB and then waits, forwarded to the one request of a server; the
 *  outcome is forward()'s rejection (or undefined). `then` runs once forwarding started. */
async function openBody(then: (body: Readable) => void = () => {}) {
  const body = new Readable({ read() {} });
  body.push(Buffer.alloc(1024));
  let outcome: Promise<unknown> | undefined;
  const port = await serve((res) => {
    res.writeHead(200);
    outcome = forward(body, res, () => {}, { release: false }).catch((err: unknown) => err);
    then(body);
  });
  return { body, port, outcome: () => outcome };
}

it('a client that goes away destroys the upstream body and rejects with ResponseClosedError', async () => {
  const { body, port, outcome } = await openBody();
  await new Promise<void>((resolve) => {
    const req = request({ port, host: '127.0.0.1' }, (res) => res.once('data', () => req.destroy()));
    req.on('close', () => resolve()).on('error', () => {});
    req.end();
  });
  expect(await outcome()).toBeInstanceOf(ResponseClosedError);
  expect(body.destroyed).toBe(true);
});

it('an upstream body that breaks destroys the client response and rejects with its error', async () => {
  const { port, outcome } = await openBody((body) => setTimeout(() => body.destroy(new Error('upstream reset')), 50));
  const clientSaw = await new Promise<string>((resolve) => {
    const req = request({ port, host: '127.0.0.1' }, (res) => {
      res
        .on('error', (e) => resolve(e.message))
        .on('end', () => resolve('end'))
        .resume();
    });
    req.on('error', (e) => resolve(e.message));
    req.end();
  });
  expect(((await outcome()) as Error).message).toBe('upstream reset');
  expect(clientSaw).not.toBe('end'); // a cut response, never a clean end
});
