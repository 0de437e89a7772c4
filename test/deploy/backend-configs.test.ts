// Structural checks of the files for the AGPL backends no test runs (Tempo, Loki, Grafana; users
// run them from their images). What a real program proves is in test/stack/ (Jaeger, VictoriaLogs,
// the Collector, Prometheus, Alertmanager). Here, without them:
// - every key of tempo/tempo.yaml and loki/loki.yaml is on a list taken from the programs'
//   configuration references; each listed key was also accepted by the real program (Tempo main
//   @87c2dc3, Loki 3.7.8; both reject unknown keys) when the stack tests last ran them, at 816dd02.
//   A new key fails here until it is checked against the reference and added;
// - the Loki ruler file passes promtool (its structure is Prometheus' rule format, and its LogQL
//   happens to parse as PromQL);
// - the LogQL and TraceQL that Grafana and the ruler are provisioned with use only the stream
//   labels, JSON fields and span attributes the relay really emits (a real request through the
//   relay, its log line pushed to a Loki push endpoint, its span in the SDK).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RunningRelay } from '../../src/server/app.ts';
import { createLogging } from '../../src/telemetry/logger.ts';
import type { RunningServer } from '../../src/server/listen.ts';
import { FakeLoki, until } from '../support/fake-loki.ts';
import { LogCapture, relay, simulator, spans } from '../support/harness.ts';
import { root } from '../support/relay-process.ts';
import { toolPath } from '../tools/tools.ts';
import { grafanaLogQueries, grafanaTraceQueries, logQlFields, traceQlConditions } from '../support/shipped-queries.ts';

/** Every key path of a YAML document (`a.b`, list items as `a[].b`). */
function keyPaths(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => keyPaths(x, `${prefix}[]`));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    return [p, ...keyPaths(x, p)];
  });
}
const yamlKeys = (file: string) => [...new Set(keyPaths(parse(readFileSync(`${root}${file}`, 'utf8'))))];

// https://grafana.com/docs/tempo/latest/configuration/ and its manifest page (all options).
const TEMPO_KEYS = [
  'stream_over_http_enabled',
  'server',
  'server.http_listen_address',
  'server.http_listen_port',
  'server.grpc_listen_address',
  'server.grpc_listen_port',
  'server.log_level',
  'distributor',
  'distributor.receivers',
  'distributor.receivers.otlp',
  'distributor.receivers.otlp.protocols',
  'distributor.receivers.otlp.protocols.grpc',
  'distributor.receivers.otlp.protocols.grpc.endpoint',
  'distributor.receivers.otlp.protocols.http',
  'distributor.receivers.otlp.protocols.http.endpoint',
  'ingester',
  'ingester.max_block_duration',
  'compactor',
  'compactor.compaction',
  'compactor.compaction.block_retention',
  'storage',
  'storage.trace',
  'storage.trace.backend',
  'storage.trace.wal',
  'storage.trace.wal.path',
  'storage.trace.local',
  'storage.trace.local.path',
];

// https://grafana.com/docs/loki/latest/configure/ (configuration reference).
const LOKI_KEYS = [
  'auth_enabled',
  'server',
  'server.http_listen_address',
  'server.http_listen_port',
  'server.grpc_listen_address',
  'server.grpc_listen_port',
  'server.log_level',
  'common',
  'common.instance_addr',
  'common.path_prefix',
  'common.storage',
  'common.storage.filesystem',
  'common.storage.filesystem.chunks_directory',
  'common.storage.filesystem.rules_directory',
  'common.replication_factor',
  'common.ring',
  'common.ring.kvstore',
  'common.ring.kvstore.store',
  'schema_config',
  'schema_config.configs',
  'schema_config.configs[].from',
  'schema_config.configs[].store',
  'schema_config.configs[].object_store',
  'schema_config.configs[].schema',
  'schema_config.configs[].index',
  'schema_config.configs[].index.prefix',
  'schema_config.configs[].index.period',
  'limits_config',
  'limits_config.allow_structured_metadata',
  'limits_config.volume_enabled',
  'limits_config.retention_period',
  'compactor',
  'compactor.working_directory',
  'compactor.retention_enabled',
  'compactor.delete_request_store',
  'ruler',
  'ruler.storage',
  'ruler.storage.type',
  'ruler.storage.local',
  'ruler.storage.local.directory',
  'ruler.rule_path',
  'ruler.alertmanager_url',
  'ruler.enable_api',
  'ruler.enable_alertmanager_v2',
  'ruler.evaluation_interval',
  'ruler.ring',
  'ruler.ring.kvstore',
  'ruler.ring.kvstore.store',
  'analytics',
  'analytics.reporting_enabled',
];

describe('tempo/tempo.yaml and loki/loki.yaml (structure only: no Tempo or Loki runs here)', () => {
  it.each([
    ['tempo/tempo.yaml', TEMPO_KEYS],
    ['loki/loki.yaml', LOKI_KEYS],
  ])('%s uses only documented keys', (file, known) => {
    const keys = yamlKeys(file);
    expect(keys.length).toBeGreaterThan(10);
    expect(
      keys.filter((k) => !known.includes(k)),
      `${file}: keys not on the checked list`,
    ).toEqual([]);
  });

  it('tempo.yaml receives OTLP where the Collector sends it, and has no metrics-generator (span metrics come from the Collector)', () => {
    const tempo = parse(readFileSync(`${root}tempo/tempo.yaml`, 'utf8')) as Record<string, unknown>;
    expect(tempo['metrics_generator']).toBeUndefined();
    expect(tempo['overrides']).toBeUndefined();
    expect(readFileSync(`${root}tempo/tempo.yaml`, 'utf8')).toContain('endpoint: 0.0.0.0:4317');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Collector's own ${env:…} syntax, literally
    expect(readFileSync(`${root}otel-collector.yaml`, 'utf8')).toContain('${env:TRACES_BACKEND_ENDPOINT:-tempo:4317}');
  });

  it('the Loki ruler file passes promtool check rules (Prometheus rule format)', () => {
    const run = spawnSync(toolPath('promtool'), ['check', 'rules', `${root}loki/rules/fake/embedding-relay.yml`], { encoding: 'utf8' });
    if (run.error) throw new Error(`promtool could not run (${run.error.message})`);
    expect(run.stdout + run.stderr).toContain('SUCCESS: 1 rules found');
    expect(run.status).toBe(0);
  });

  it('a key that is not on the list is reported', () => {
    expect(keyPaths(parse('server:\n  http_listen_prot: 3200\n')).filter((k) => !TEMPO_KEYS.includes(k))).toEqual([
      'server.http_listen_prot',
    ]);
  });
});

describe('LogQL and TraceQL shipped for Loki, Tempo and Grafana, against what the relay emits', () => {
  let sim: RunningServer;
  let main: RunningRelay;
  let logs: LogCapture;
  let loki: FakeLoki;
  let line: Record<string, unknown>;
  let streamLabels: string[];

  beforeAll(async () => {
    sim = await simulator();
    ({ relay: main, logs } = await relay({ upstreamUrl: `${sim.url}/v1`, providerName: 'vllm' }));
    const res = await fetch(`${main.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-queries', input: ['a', 'b'] }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    line = logs.requests().find((l) => l['model'] === 'm-queries')!;
    // The relay's own Loki queue pushing that line: its stream labels.
    loki = new FakeLoki();
    await loki.start();
    const shipped = createLogging({ level: 'info', serviceName: 'embedding-relay', lokiUrl: loki.url, destination: new LogCapture() });
    shipped.logger.info(line);
    await until(() => loki.entries.length === 1, 5_000, 'the pushed line');
    await shipped.close();
    streamLabels = Object.keys(loki.entries[0]!.labels).sort();
  });

  afterAll(async () => {
    await main?.close(100);
    await sim?.close();
    await loki?.stop();
  });

  it('the pushed stream labels are exactly service_name and level', () => {
    expect(streamLabels).toEqual(['level', 'service_name']);
  });

  it('every LogQL query (dashboard, trace → logs link, ruler) selects on those labels and filters on fields the log line has', () => {
    const queries = grafanaLogQueries();
    expect(queries.length).toBe(3);
    for (const q of queries) {
      const { labels, fields } = logQlFields(q.query);
      expect(labels.length, q.where).toBeGreaterThan(0);
      for (const l of labels) expect(streamLabels, `${q.where}: stream label ${l}`).toContain(l);
      for (const f of fields) expect(Object.keys(line), `${q.where}: field ${f}`).toContain(f);
    }
  });

  it('every TraceQL condition names an attribute the relay’s SERVER span (or its resource) has', () => {
    const server = spans.getFinishedSpans().find((s) => s.name === 'embeddings m-queries' && s.kind === SpanKind.SERVER)!;
    const conditions = grafanaTraceQueries().flatMap((q) => traceQlConditions(q.query).map((c) => ({ ...c, where: q.where })));
    expect(conditions.length).toBeGreaterThan(1);
    for (const c of conditions) {
      const attrs = c.scope === 'resource' ? server.resource.attributes : server.attributes;
      expect(Object.keys(attrs), `${c.where}: ${c.scope}.${c.attribute}`).toContain(c.attribute);
      if (c.value !== undefined && c.scope === 'span')
        expect(String(attrs[c.attribute]), `${c.where}: ${c.scope}.${c.attribute}`).toBe(c.value);
    }
  });

  it('the query readers catch a field the log line does not have', () => {
    expect(logQlFields('{service_name="x"} | json | modle="m"').fields).toEqual(['modle']);
    expect(logQlFields('sum by (service_name) (count_over_time({service_name="x", level="error"}[5m])) > 10').labels.sort()).toEqual([
      'level',
      'service_name',
    ]);
    expect(traceQlConditions('{resource.service.name="s" && span.gen_ai.request.model=~"$m"}')).toEqual([
      { scope: 'resource', attribute: 'service.name', value: 's' },
      { scope: 'span', attribute: 'gen_ai.request.model', value: undefined },
    ]);
  });
});
