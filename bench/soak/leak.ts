// A deliberate leak, for showing that `npm run soak` catches one (never loaded otherwise):
//   npm run soak -- --duration 420 --inject-leak heap:512     # FAILS: old generation floor grows
//   npm run soak -- --duration 420 --inject-leak native:2048  # FAILS: memory outside the V8 heap grows
// soak.ts preloads this file into the relay (node --import bench/soak/leak.ts) with SOAK_INJECT_LEAK set.
// Every HTTP request the relay's servers receive then keeps N bytes forever on average:
// - `heap`: one N-byte JS string per request (V8 old generation once it survives two scavenges);
// - `native`: one 64×N-byte Buffer every 64 requests, so the data is off the V8 heap and the
//   Buffer objects themselves (about 200 bytes of heap each) add only ~3 bytes per request.
// A native leak shows in RSS only once malloc has used up the free memory it already holds (tens
// of MiB after the warm-up here), so give it a few MiB per minute to be visible within minutes.
import { Buffer } from 'node:buffer';
import { subscribe } from 'node:diagnostics_channel';

const spec = process.env['SOAK_INJECT_LEAK'] ?? '';
const m = /^(heap|native):(\d+)$/.exec(spec);
if (!m) throw new Error(`SOAK_INJECT_LEAK must be heap:BYTES or native:BYTES, got "${spec}"`);
const kind = m[1]!;
const bytes = Number(m[2]);
const kept: unknown[] = [];
let n = 0;
subscribe('http.server.request.start', () => {
  n++;
  // Fresh allocations, written (a shared constant, or untouched pages, would not cost memory).
  if (kind === 'heap') kept.push(`${n}:`.padEnd(bytes, 'x'));
  else if (n % 64 === 0) kept.push(Buffer.allocUnsafeSlow(64 * bytes).fill(n & 0xff));
});
