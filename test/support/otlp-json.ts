// Reading what the real backends return in the stack and vLLM suites: OTLP/JSON traces (Jaeger's
// /api/v3/traces/{id}) and the dashboard's PromQL with Grafana's variables filled in.

export interface OtlpAttr {
  key: string;
  value: Record<string, unknown>;
}
export interface OtlpSpan {
  name: string;
  kind: number;
  spanId: string;
  parentSpanId?: string;
  attributes?: OtlpAttr[];
}
export interface OtlpTraces {
  result: { resourceSpans: { resource: { attributes: OtlpAttr[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
}

/** An attribute's value as a string (OTLP/JSON keeps each type in its own field), or undefined. */
export function attrValue(attrs: OtlpAttr[] | undefined, key: string): string | undefined {
  const v = attrs?.find((a) => a.key === key)?.value;
  return v === undefined
    ? undefined
    : String(v['stringValue'] ?? v['intValue'] ?? v['boolValue'] ?? v['doubleValue'] ?? JSON.stringify(v['arrayValue']));
}

/** A dashboard expression with Grafana's variables as Grafana fills them with "All" selected. */
export function withGrafanaVariables(expr: string, rateInterval = '1m'): string {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$__range', '15m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$instance', '.*')
    .replaceAll('$model', '.*');
}
