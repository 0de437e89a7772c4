// The TraceQL and LogQL the repo ships for Tempo and Loki (Grafana's dashboard and datasources, the
// Loki ruler), which no real Tempo or Loki runs here (AGPL). The stack tests check what these
// queries depend on against what real programs hold: the attributes of a trace Jaeger returns, and
// the stream labels and JSON fields of a log line VictoriaLogs returns.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { root } from './relay-process.ts';

export interface ShippedQuery {
  /** Where the query lives, for failure messages. */
  where: string;
  query: string;
}

interface Dashboard {
  panels: {
    title: string;
    datasource?: { type?: string };
    targets?: { datasource?: { type?: string }; expr?: string; query?: string; queryType?: string }[];
  }[];
}
const dashboard = (): Dashboard => JSON.parse(readFileSync(join(root, 'grafana/dashboards/embedding-relay.json'), 'utf8')) as Dashboard;
/** grafana/provisioning/datasources/datasources.yaml, parsed. */
export const datasources = () =>
  (
    parse(readFileSync(join(root, 'grafana/provisioning/datasources/datasources.yaml'), 'utf8')) as {
      datasources: { uid: string; jsonData: Record<string, unknown> }[];
    }
  ).datasources;

const targetsOf = (type: string) =>
  dashboard().panels.flatMap((p) =>
    (p.targets ?? []).filter((t) => (t.datasource?.type ?? p.datasource?.type) === type).map((t) => ({ panel: p.title, target: t })),
  );

/** TraceQL of the dashboard's Tempo panels. */
export function grafanaTraceQueries(): ShippedQuery[] {
  return targetsOf('tempo').map(({ panel, target }) => ({ where: `dashboard: ${panel}`, query: target.query! }));
}

/** LogQL of the dashboard's Loki panels, the Tempo datasource's trace → logs link, and the Loki ruler. */
export function grafanaLogQueries(): ShippedQuery[] {
  const out: ShippedQuery[] = targetsOf('loki').map(({ panel, target }) => ({ where: `dashboard: ${panel}`, query: target.expr! }));
  const tempo = datasources().find((d) => d.uid === 'tempo')!.jsonData as { tracesToLogsV2: { query: string } };
  out.push({ where: 'datasource tempo: tracesToLogsV2', query: tempo.tracesToLogsV2.query });
  const rulesFile = 'loki/rules/fake/embedding-relay.yml';
  const rules = parse(readFileSync(join(root, rulesFile), 'utf8')) as {
    groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
  };
  for (const r of rules.groups.flatMap((g) => g.rules)) out.push({ where: `${rulesFile}: ${r.alert ?? r.record}`, query: r.expr });
  return out;
}

export interface TraceQlCondition {
  scope: 'resource' | 'span';
  attribute: string;
  /** The literal compared with `=`; undefined for other operators or Grafana variables. */
  value: string | undefined;
  where?: string;
}

/** `{resource.service.name="x" && span.gen_ai.operation.name="embeddings"}` → its attribute conditions. */
export function traceQlConditions(query: string): TraceQlCondition[] {
  return [...query.matchAll(/\b(resource|span)\.([\w.]+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((m) => ({
    scope: m[1] as 'resource' | 'span',
    attribute: m[2]!,
    value: m[3] === '=' && !m[4]!.includes('$') ? m[4] : undefined,
  }));
}

/**
 * The stream labels (selector matchers and `by (...)` groupings) and the JSON fields (filters after
 * `| json`) a LogQL query uses. Covers the subset this repo writes; a query it cannot read yields no
 * labels, which the test treats as a failure.
 */
export function logQlFields(query: string): { labels: string[]; fields: string[] } {
  const [selectorPart = '', ...pipeline] = query.split('|');
  const labels = new Set<string>();
  for (const m of selectorPart.matchAll(/(\w+)\s*(?:=~|!~|!=|=)\s*"/g)) labels.add(m[1]!);
  for (const m of query.matchAll(/\bby\s*\(([\w\s,]+)\)/g)) for (const l of m[1]!.split(',')) labels.add(l.trim());
  const fields = new Set<string>();
  const jsonAt = pipeline.findIndex((stage) => stage.trim() === 'json');
  if (jsonAt >= 0) {
    for (const stage of pipeline.slice(jsonAt + 1)) {
      const m = /^\s*(\w+)\s*(?:=~|!~|!=|==|=|>=|<=|>|<)/.exec(stage);
      if (m) fields.add(m[1]!);
    }
  }
  return { labels: [...labels], fields: [...fields] };
}
