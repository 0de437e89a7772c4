// A deliberate leak, for showing that `npm run soak` catches one (never loaded otherwise):
//   npm run soak -- --duration 420 --inject-leak heap:512     # FAILS: old generation floor grows
//   npm run soak -- --duration 420 --inject-leak native:512   # FAILS: memory outside the V8 heap grows
// soak.ts preloads this file into the relay (node --import bench/leak.ts) with SOAK_INJECT_LEAK set.
// Every HTTP request the relay's servers receive then keeps N bytes forever: `heap` as a JS string
// (V8 old generation once it survives two scavenges), `native` as an off-heap Buffer.
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
  // A fresh allocation every time (a shared constant string would not leak anything).
  kept.push(kind === 'heap' ? `${n}:`.padEnd(bytes, 'x') : Buffer.allocUnsafeSlow(bytes).fill(n & 0xff));
});
