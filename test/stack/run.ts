// `npm run stack`: the full stack locally without Docker, from cached binaries (built on first
// use), with the repo's configs, as docker-compose.yml + docker-compose.apache.yml run it: Jaeger
// for traces and VictoriaLogs for logs (Apache-2.0). Grafana, Tempo and Loki (AGPL) are not run:
// use docker compose for them. Ctrl-C stops everything.
import { startStack } from './stack.ts';

console.error(
  'Starting Alertmanager, VictoriaLogs, Jaeger, the OpenTelemetry Collector, the relay and Prometheus (the first run builds binaries: ~5 min)…',
);
const stack = await startStack({ RELAY_SIMULATOR_LATENCY_MS: '20', RELAY_SIMULATOR_LATENCY_PER_TOKEN_MS: '0.05' });
const p = stack.port;
const tags = encodeURIComponent('{"gen_ai.request.model":"Qwen/Qwen3-Embedding-4B"}');
const logsql = encodeURIComponent('{service_name="embedding-relay"} | unpack_json fields (model, status, trace_id, duration_ms)');
console.error(`
embedding-relay stack is up (all on 127.0.0.1):
  relay            ${stack.relay.url}/v1/embeddings   (upstream: the built-in SIMULATOR)
  relay metrics    http://127.0.0.1:${stack.relay.metricsPort}/metrics
  Prometheus       ${stack.promUrl}          (alerts: ${stack.promUrl}/alerts; span metrics: traces_span_metrics_calls_total)
  Alertmanager     http://127.0.0.1:${p['alertmanager']}
  Jaeger API       ${stack.jaegerUrl}/api/traces?service=embedding-relay&tags=${tags}&lookback=1h
  VictoriaLogs     ${stack.logsUrl}/select/logsql/query?query=${logsql}
  Collector OTLP   http://127.0.0.1:${p['otlpHttp']} (HTTP), 127.0.0.1:${p['otlpGrpc']} (gRPC)

Send traffic:
  curl -s ${stack.relay.url}/v1/embeddings -H 'content-type: application/json' -d '{"model":"Qwen/Qwen3-Embedding-4B","input":["hello"]}'
Ctrl-C to stop.`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.error('stopping the stack…');
  void stack.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
