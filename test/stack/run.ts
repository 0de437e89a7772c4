// `npm run stack`: the full stack locally without Docker, from cached binaries (built on first
// use), with the repo's configs. Ctrl-C stops everything. Grafana is not included (no package for
// it here): point your own Grafana at the printed Prometheus/Tempo/Loki URLs, or use `docker compose`.
import { startStack } from './stack.ts';

console.error('Starting Alertmanager, Loki, Tempo, OpenTelemetry Collector, the relay and Prometheus (first run builds binaries: ~10 min)…');
const stack = await startStack({ RELAY_SIMULATOR_LATENCY_MS: '20', RELAY_SIMULATOR_LATENCY_PER_TOKEN_MS: '0.05' });
const p = stack.port;
console.error(`
embedding-relay stack is up (all on 127.0.0.1):
  relay            ${stack.relay.url}/v1/embeddings   (upstream: the built-in SIMULATOR)
  relay metrics    http://127.0.0.1:${stack.relay.metricsPort}/metrics
  Prometheus       ${stack.promUrl}          (alerts: ${stack.promUrl}/alerts)
  Alertmanager     http://127.0.0.1:${p['alertmanager']}
  Tempo            ${stack.tempoUrl}          (e.g. ${stack.tempoUrl}/api/search?q=%7Bspan.gen_ai.operation.name%3D%22embeddings%22%7D)
  Loki             ${stack.lokiUrl}           (e.g. ${stack.lokiUrl}/loki/api/v1/query_range?query=%7Bservice_name%3D%22embedding-relay%22%7D)
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
