// A stand-in Loki push endpoint that can go down (connection refused, or HTTP 503/4xx) and come
// back on the same port, recording every entry it accepted.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LokiEntry {
  labels: Record<string, string>;
  ts: string;
  text: string;
  line: Record<string, unknown>;
}

export class FakeLoki {
  readonly entries: LokiEntry[] = [];
  pushes = 0;
  /** Authorization header of the last push. */
  authorization: string | undefined;
  /** Headers of the last push. */
  headers: IncomingHttpHeaders | undefined;
  refusedPushes = 0;
  /** 'up': 204 and record; a number: answer that status without recording. */
  answer: 'up' | number = 'up';
  /** Retry-After header sent with refusals, when set. */
  retryAfter: string | undefined;
  readonly #server: Server;
  port = 0;

  /** The path Loki is served under (a gateway's), e.g. '/tenant-a/logs'. */
  readonly prefix: string;

  constructor(prefix = '') {
    this.prefix = prefix;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url !== `${this.prefix}/loki/api/v1/push`) return void res.writeHead(404).end();
        this.pushes++;
        this.authorization = req.headers.authorization;
        this.headers = req.headers;
        if (this.answer !== 'up') {
          this.refusedPushes++;
          const headers: Record<string, string> = { 'content-type': 'text/plain' };
          if (this.retryAfter !== undefined) headers['retry-after'] = this.retryAfter;
          return void res.writeHead(this.answer, headers).end('fake loki says no');
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          streams: { stream: Record<string, string>; values: [string, string][] }[];
        };
        for (const s of body.streams)
          for (const [ts, text] of s.values)
            this.entries.push({ labels: s.stream, ts, text, line: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(204).end();
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listen (again) on the same port as before, or a free one the first time. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        this.port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Stop listening and cut open connections: pushes now get ECONNREFUSED. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

/** Resident set size of a process in bytes (Linux /proc). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
