// `npm run licences`: the licence gate that .ci/run runs before anything is started.
// - npm: every package in package-lock.json, by the SPDX `license` the lockfile records;
// - Go: every module linked into each binary the tests build and run (the Collector, Jaeger,
//   VictoriaLogs, promtool, amtool, helm, sloth, etcd, kube-apiserver, kubectl,
//   kube-controller-manager, kube-scheduler, kubelet, kube-proxy, and licence-scan itself), read from the binary (`go version -m`) and classified
//   from the module's licence files by licence-scan (github.com/google/licensecheck).
// Anything not on the allow-list in policy.ts (AGPL/GPL/LGPL/SSPL/BUSL, or unrecognised) fails the
// run, naming the package or module and the binary it is in.
//   node test/licences/gate.ts [--binary PATH]...   (extra binaries: e.g. to show a failure)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root } from '../support/relay-process.ts';
import { goModuleBinary, jaegerBinary, otelcolBinary, victoriaLogsBinary } from '../stack/services.ts';
import { kubeBinaries, nodeBinaries } from '../kube/cluster.ts';
import { goVerdict, type NpmLock, npmLockVerdicts, type ScannedModule } from '../support/licence-policy.ts';

const { values } = parseArgs({ options: { binary: { type: 'string', multiple: true, default: [] } } });
const failures: string[] = [];
const tally = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
const show = (counts: Map<string, number>) =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

// npm
const npm = npmLockVerdicts(JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as NpmLock);
failures.push(...npm.failures);
console.log(`licences: npm, ${npm.packages} packages in package-lock.json: ${show(npm.licences)}`);

// Go
const scanner = goModuleBinary('../licences/licence-scan', 'licence-scan', '.');
const tools = JSON.parse(
  execFileSync('bash', [join(root, 'test/tools/provision.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
) as Record<string, string>;
const binaries = [
  otelcolBinary(),
  jaegerBinary(),
  victoriaLogsBinary(),
  tools['promtool']!,
  tools['amtool']!,
  tools['helm']!,
  tools['sloth']!,
  ...Object.values(kubeBinaries()),
  ...Object.values(nodeBinaries()),
  scanner,
  ...(values.binary ?? []),
];
const scanned = execFileSync(scanner, binaries, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] })
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as ScannedModule);
for (const bin of binaries) {
  const mods = scanned.filter((m) => m.binary === bin);
  const counts = new Map<string, number>();
  for (const m of mods) {
    tally(counts, [...new Set((m.files ?? []).flatMap((f) => f.ids))].sort().join('+') || '(none)');
    const verdict = goVerdict(m);
    if (!verdict.ok) failures.push(`go ${m.module}@${m.version} in ${bin.replace(/^.*\//, '')}: ${verdict.reason}`);
  }
  console.log(`licences: go, ${mods.length} modules in ${bin.replace(/^.*\//, '')}: ${show(counts)}`);
}

if (failures.length > 0) {
  console.error(`licences: FAIL, ${failures.length} not allowed (allow-list in test/support/licence-policy.ts):`);
  for (const f of failures) console.error(`  ${f}`);
  process.exit(1);
}
console.log('licences: ok, every npm package and Go module is on the allow-list');
