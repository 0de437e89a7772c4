// A lean keep-alive HTTP/1.1 client connection that sends one pre-serialised request at a time and
// counts the response bytes without keeping them (content-length or chunked), reading into one
// reused buffer per connection (no allocation per read, so little GC). The paced load and the
// first-byte timing use it: undici's Pool spent a whole core just reading ~400 KB answers at
// 2000 req/s, which made the load generator the bottleneck of the measurement.
import { connect, type Socket } from 'node:net';

export interface Exchange {
  status: number;
  /** performance.now() when the response head had arrived, and when its last byte had. */
  headersAt: number;
  doneAt: number;
}

/** The wire bytes of a request, built once. */
export function wireRequest(origin: string, path: string, headers: Record<string, string>, body: Buffer): Buffer {
  const url = new URL(origin);
  const lines = [`POST ${path} HTTP/1.1`, `host: ${url.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  lines.push(`content-length: ${body.length}`, 'connection: keep-alive', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

export class Connection {
  readonly #host: string;
  readonly #port: number;
  readonly #request: Buffer;
  #socket: Socket | undefined;
  #pending: { resolve: (e: Exchange) => void; reject: (err: Error) => void } | undefined;
  // Parser state for the response in progress.
  #head: Buffer[] = [];
  #state: 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'trailers' = 'head';
  #remaining = 0;
  #line = '';
  #status = 0;
  #headersAt = 0;
  #close = false;

  constructor(origin: string, request: Buffer) {
    const url = new URL(origin);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#request = request;
  }

  send(): Promise<Exchange> {
    if (this.#pending) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#head = [];
      this.#state = 'head';
      this.#socket ??= this.#open();
      this.#socket.write(this.#request);
    });
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #open(): Socket {
    const socket = connect({
      host: this.#host,
      port: this.#port,
      noDelay: true,
      onread: {
        buffer: Buffer.allocUnsafe(64 * 1024),
        callback: (n: number, buf: Uint8Array) => {
          try {
            this.#parse(Buffer.from(buf.buffer, buf.byteOffset, n));
          } catch (err) {
            fail(err as Error);
          }
          return true;
        },
      },
    });
    const fail = (err: Error) => {
      if (this.#socket === socket) this.#socket = undefined;
      socket.destroy();
      const p = this.#pending;
      this.#pending = undefined;
      p?.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
    return socket;
  }

  /** `chunk` is only valid during this call (the read buffer is reused): anything kept is copied. */
  #parse(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.#pending) {
      switch (this.#state) {
        case 'head':
          this.#parseHead(at === 0 ? chunk : chunk.subarray(at));
          return;
        case 'length': {
          const n = Math.min(this.#remaining, chunk.length - at);
          this.#remaining -= n;
          at += n;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case 'chunk-size':
        case 'trailers':
          at = this.#parseLine(chunk, at);
          if (at < 0) return;
          break;
        case 'chunk-data': {
          const n = Math.min(this.#remaining, chunk.length - at);
          this.#remaining -= n;
          at += n;
          if (this.#remaining === 0) this.#state = 'chunk-size';
          break;
        }
      }
    }
  }

  /** The response head, up to its blank line; what follows it is parsed as body. */
  #parseHead(part: Buffer): void {
    const head = this.#head.length === 0 ? part : Buffer.concat([...this.#head, part]);
    const end = head.indexOf(CRLFCRLF);
    if (end < 0) {
      this.#head = [Buffer.from(head)]; // a copy: the read buffer is reused
      return;
    }
    this.#headersAt = performance.now();
    const lines = head.subarray(0, end).toString('latin1').split('\r\n');
    this.#status = Number(lines[0]!.split(' ')[1]);
    let length = 0;
    let chunked = false;
    this.#close = false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line
        .slice(colon + 1)
        .trim()
        .toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.includes('chunked');
      else if (name === 'connection') this.#close = value === 'close';
    }
    // The rest of this head buffer is body: continue parsing it as a fresh chunk.
    const rest = head.subarray(end + 4);
    this.#head = [];
    this.#state = chunked ? 'chunk-size' : 'length';
    this.#remaining = length;
    this.#line = '';
    if (!chunked && length === 0) this.#finish();
    if (rest.length > 0) this.#parse(rest);
  }

  /** A chunk-size or trailer line from `at`: the index after it, or -1 when the chunk ends first. */
  #parseLine(chunk: Buffer, at: number): number {
    const nl = chunk.indexOf(10, at);
    if (nl < 0) {
      this.#line += chunk.toString('latin1', at);
      return -1;
    }
    const line = (this.#line + chunk.toString('latin1', at, nl)).trim();
    this.#line = '';
    if (this.#state === 'trailers') {
      if (line === '') this.#finish();
      return nl + 1;
    }
    const size = parseInt(line, 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size "${line}"`);
    if (size === 0) this.#state = 'trailers';
    else {
      this.#state = 'chunk-data';
      this.#remaining = size + 2; // data + CRLF
    }
    return nl + 1;
  }

  #finish(): void {
    const p = this.#pending!;
    this.#pending = undefined;
    this.#state = 'head';
    if (this.#close) this.close();
    p.resolve({ status: this.#status, headersAt: this.#headersAt, doneAt: performance.now() });
  }
}
