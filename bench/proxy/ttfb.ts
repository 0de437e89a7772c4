// Time to first byte: sequential requests on one keep-alive connection, timing when the response
// head arrives and when the last body byte has been read. Twice: back to back, and with an idle
// gap before each request, so work a proxy still does after a response has been delivered (the
// relay inspects the body it has just relayed) is not charged to the next request's first byte.
import { Connection, wireRequest } from '../load/connection.ts';
import type { LoadRequest } from '../load/load.ts';
import { Progress } from '../load/progress.ts';
import { Samples, type Percentiles } from '../load/samples.ts';

export interface TtfbSeries {
  headersMs: Percentiles;
  totalMs: Percentiles;
}

export interface TtfbResult {
  /** Requests per series. */
  requests: number;
  gapMs: number;
  backToBack: TtfbSeries;
  afterGap: TtfbSeries;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function series(conn: Connection, requests: number, gapMs: number, progress: Progress, name: string): Promise<TtfbSeries> {
  const headers = new Samples();
  const total = new Samples();
  for (let i = 0; i < requests; i++) {
    if (gapMs > 0) await sleep(gapMs);
    const t0 = performance.now();
    const x = await conn.send();
    headers.add(x.headersAt - t0);
    total.add(x.doneAt - t0);
    if (i % 10 === 0) progress.update(`${name} ${i}/${requests}`);
  }
  return { headersMs: headers.percentiles(), totalMs: total.percentiles() };
}

export async function timeToFirstByte(req: LoadRequest, requests: number, gapMs: number, label: string): Promise<TtfbResult> {
  const conn = new Connection(req.origin, wireRequest(req.origin, req.path, req.headers, req.body));
  const progress = new Progress(label);
  try {
    const backToBack = await series(conn, requests, 0, progress, 'back to back');
    const afterGap = await series(conn, requests, gapMs, progress, `after ${gapMs} ms idle`);
    const ms = (v: number) => `${v.toFixed(2)} ms`;
    progress.done(
      `first byte p50 ${ms(backToBack.headersMs.p50)} back to back, ${ms(afterGap.headersMs.p50)} after ${gapMs} ms idle; ` +
        `whole body p50 ${ms(afterGap.totalMs.p50)}`,
    );
    return { requests, gapMs, backToBack, afterGap };
  } finally {
    conn.close();
  }
}
