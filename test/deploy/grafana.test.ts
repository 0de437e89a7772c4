// Grafana provisioning: the dashboard uses only provisioned datasources, has the panels and
// variables the operators rely on, and the datasources link metrics, traces and logs both ways.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../..', import.meta.url).pathname;
const dashboard = JSON.parse(readFileSync(`${root}grafana/dashboards/embedding-relay.json`, 'utf8')) as {
  uid: string;
  panels: {
    title: string;
    type: string;
    datasource?: { uid: string };
    targets?: { datasource?: { uid: string }; expr?: string; query?: string }[];
  }[];
  templating: { list: { name: string }[] };
};
const ds = (
  parse(readFileSync(`${root}grafana/provisioning/datasources/datasources.yaml`, 'utf8')) as {
    datasources: { uid: string; type: string; jsonData: Record<string, unknown> }[];
  }
).datasources;
const byUid = Object.fromEntries(ds.map((d) => [d.uid, d]));

describe('Grafana provisioning', () => {
  it('references only provisioned datasources', () => {
    const used = dashboard.panels
      .flatMap((p) => [p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource?.uid)])
      .filter((u): u is string => u !== undefined);
    expect(used.length).toBeGreaterThan(0);
    for (const uid of used) expect(Object.keys(byUid), `unknown datasource ${uid}`).toContain(uid);
  });

  it('has the panels and variables the design asks for', () => {
    const types = new Map(dashboard.panels.map((p) => [p.title, p.type]));
    for (const title of [
      'QPS',
      'Requests in range',
      'Requests by outcome (status, error.type)',
      'Latency P50 / P90 / P95 / P99',
      'Relay overhead',
      'Batch size',
      'Vectors by dimension (dimension consistency)',
    ]) {
      expect(types.has(title), title).toBe(true);
    }
    for (const title of [
      'Rerank and score requests by outcome',
      'Rerank and score latency P50 / P95 / P99',
      'Documents per rerank (P50 / P99)',
      'Rerank and score anomalies by kind',
    ])
      expect(types.get(title), title).toBe('timeseries');
    for (const title of ['GPU memory used', 'GPU utilization', 'GPU temperature and power'])
      expect(types.get(title), title).toBe('timeseries');
    for (const title of ['Relay memory', 'Event loop delay and utilization', 'GC pause time'])
      expect(types.get(title), title).toBe('timeseries');
    expect(types.get('Input tokens per request')).toBe('heatmap');
    expect(types.get('Relay logs')).toBe('logs');
    expect(types.get('Recent embeddings traces (Tempo search)')).toBe('table');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['instance', 'model']);
  });

  it('correlates both ways: trace → logs, logs → trace, metrics → trace', () => {
    const tempo = byUid['tempo']!.jsonData as { tracesToLogsV2: { datasourceUid: string; query: string } };
    expect(tempo.tracesToLogsV2.datasourceUid).toBe('loki');
    expect(tempo.tracesToLogsV2.query).toContain('trace_id="$${__trace.traceId}"'); // $$ = literal $ in provisioning files
    const loki = byUid['loki']!.jsonData as { derivedFields: { matcherRegex: string; datasourceUid: string }[] };
    expect(loki.derivedFields[0]!.datasourceUid).toBe('tempo');
    // The regex must match the relay's real log line.
    const line = '{"level":30,"event":"embedding_request","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}';
    expect(new RegExp(loki.derivedFields[0]!.matcherRegex).exec(line)?.[1]).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const prom = byUid['prometheus']!.jsonData as { exemplarTraceIdDestinations: { datasourceUid: string }[] };
    expect(prom.exemplarTraceIdDestinations[0]!.datasourceUid).toBe('tempo');
  });
});
