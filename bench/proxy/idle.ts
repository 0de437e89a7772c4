// `npm run bench:idle`: the resident memory of an idle relay, next to a bare `node` and the
// node-floor pass-through (test/support/node-floor-proxy.ts) started with the same flags. Each process is
// started fresh, serves --requests `typical` requests (1), then sits idle for 5 s before its VmRSS is read
// (RssAnon: heap, malloc, stacks; RssFile: mostly the node binary's pages). The relay runs as in
// `npm run bench` (spans and Loki pushes to the sink, /metrics served), with and without LOKI_URL.
// After a burst (--requests 20) the number also holds garbage no GC has collected yet: idle Node
// runs none.
//   npm run bench:idle [-- --requests N] [--before DIR]   (DIR: another checkout with its dist/ built, as bench:tail)
import { parseArgs } from 'node:util';
import { startChild } from '../../test/support/child.ts';
import { statusBytes } from '../../test/support/process-stats.ts';
import { requestBody, SCENARIO_HEADER } from '../harness/scenario.ts';
import { scenarioNamed } from '../harness/scenarios/index.ts';
import { relayNodeFlags, startTarget, type Target, type TargetSetup } from '../harness/targets/index.ts';
import { startServices } from '../harness/services.ts';

const { values } = parseArgs({ options: { before: { type: 'string' }, requests: { type: 'string', default: '1' } } });
const requests = Number(values.requests);
const scenario = scenarioNamed('typical')!;
const body = requestBody(scenario);
const MiB = 1024 * 1024;

const services = await startServices([scenario.name], ['relay']);
const base: TargetSetup = { upstreamPort: services.upstreamPort, nginx: undefined, sinkPorts: services.sinkPorts };

interface Row {
  what: string;
  rss: number;
  anon: number;
  file: number;
}
const rows: Row[] = [];

function read(what: string, pid: number): void {
  rows.push({ what, rss: statusBytes(pid, 'VmRSS'), anon: statusBytes(pid, 'RssAnon'), file: statusBytes(pid, 'RssFile') });
}

async function idle(what: string, target: Target): Promise<void> {
  try {
    for (let i = 0; i < requests; i++) {
      const res = await fetch(`${target.origin}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SCENARIO_HEADER]: scenario.name },
        body: body.toString(),
      });
      if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status}`);
      await res.arrayBuffer();
    }
    await new Promise((r) => setTimeout(r, 5_000));
    read(what, target.child!.pid);
  } finally {
    await target.stop();
  }
}

try {
  const bare = startChild('node', process.execPath, [...relayNodeFlags(), '-e', 'setInterval(() => {}, 1000)']);
  await new Promise((r) => setTimeout(r, 2_000));
  read(`bare node (${relayNodeFlags().join(' ')})`, bare.pid);
  await bare.stop();
  await idle('node-floor (node:http + undici pass-through)', await startTarget('node-floor', base));
  await idle('relay, full telemetry (OTLP spans, /metrics, Loki)', await startTarget('relay', base));
  await idle('relay, full telemetry, LOKI_URL unset', await startTarget('relay', { ...base, relayEnv: { LOKI_URL: undefined } }));
  if (values.before) {
    const root = values.before.endsWith('/') ? values.before : `${values.before}/`;
    await idle(`relay built in ${root}, full telemetry`, await startTarget('relay', { ...base, relayRoot: root }));
    await idle(
      `relay built in ${root}, LOKI_URL unset`,
      await startTarget('relay', { ...base, relayRoot: root, relayEnv: { LOKI_URL: undefined } }),
    );
  }
} finally {
  await services.stop();
}

console.log(
  `### Idle resident memory (${new Date().toISOString()}, Node ${process.version}; after ${requests} \`typical\` request(s) and 5 s idle)\n`,
);
console.log('| process | VmRSS MiB | RssAnon MiB | RssFile MiB |\n|---|--:|--:|--:|');
for (const r of rows)
  console.log(`| ${r.what} | ${(r.rss / MiB).toFixed(1)} | ${(r.anon / MiB).toFixed(1)} | ${(r.file / MiB).toFixed(1)} |`);
