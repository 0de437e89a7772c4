// Starts the whole stack on 127.0.0.1 with the repository's own config files: Alertmanager and
// Prometheus (Debian), Tempo and Loki (built from their Go modules), the OpenTelemetry Collector
// (built by ocb), and the relay as a process configured only by OTEL_*/RELAY_*/LOKI_URL env.
// Configs change only in hosts and ports (rewrite.ts). Used by `npm run test:stack` and
// `npm run stack`.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { listen } from '../../src/listen.ts';
import { freePort, root, startRelayProcess, type RelayProcess } from '../relay-process.ts';
import { rewriteHostsAndPorts } from './rewrite.ts';
import { lokiBinary, otelcolBinary, startService, systemBinary, tempDir, tempoBinary, type Service } from './services.ts';

export interface Stack {
  relay: RelayProcess;
  services: Service[];
  port: Record<string, number>;
  otelcol: string;
  promUrl: string;
  tempoUrl: string;
  lokiUrl: string;
  /** Webhook payloads Alertmanager delivered. */
  alertsReceived: unknown[];
  stop(): Promise<void>;
}



export async function startStack(relayEnv: Record<string, string> = {}): Promise<Stack> {
  const services: Service[] = [];
  const port: Record<string, number> = {};
  const alertsReceived: unknown[] = [];
  const otelcol = otelcolBinary();
  const tempo = tempoBinary();
  const loki = lokiBinary();
  const prometheus = systemBinary('prometheus', 'prometheus');
  const alertmanager = systemBinary('prometheus-alertmanager', 'prometheus-alertmanager');
  for (const name of ['otlpGrpc', 'otlpHttp', 'health', 'collectorMetrics', 'tempoGrpc', 'tempoOtlpHttp', 'tempoInternalGrpc', 'prometheus', 'alertmanager', 'tempo', 'loki', 'lokiGrpc']) {
    port[name] = await freePort();
  }
  const promUrl = `http://127.0.0.1:${port['prometheus']}`;
  const tempoUrl = `http://127.0.0.1:${port['tempo']}`;
  const lokiUrl = `http://127.0.0.1:${port['loki']}`;

  // Alertmanager (Debian) with the repo's config; its webhook receiver is this test.
  const webhook = await listen(createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      alertsReceived.push(JSON.parse(body));
      res.end();
    });
  }), '127.0.0.1', 0);
  const amDir = tempDir('alertmanager');
  writeFileSync(
    join(amDir, 'alertmanager.yml'),
    rewriteHostsAndPorts(readFileSync(join(root, 'prometheus/alertmanager.yml'), 'utf8'), {
      'alert-webhook:9095': `127.0.0.1:${new URL(webhook.url).port}`,
    }, 'prometheus/alertmanager.yml'),
  );
  services.push(
    await startService('alertmanager', alertmanager, [
      `--config.file=${join(amDir, 'alertmanager.yml')}`,
      `--storage.path=${join(amDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port['alertmanager']}`,
      '--cluster.listen-address=',
    ], `http://127.0.0.1:${port['alertmanager']}/-/ready`),
  );

  // Loki with the repo's config and ruler rules (read from the repo via LOKI_RULES_DIR).
  const lokiDir = tempDir('loki');
  writeFileSync(
    join(lokiDir, 'loki.yaml'),
    rewriteHostsAndPorts(readFileSync(join(root, 'loki/loki.yaml'), 'utf8'), {
      'http_listen_address: 0.0.0.0': 'http_listen_address: 127.0.0.1',
      'http_listen_port: 3100': `http_listen_port: ${port['loki']}`,
      'grpc_listen_address: 0.0.0.0': 'grpc_listen_address: 127.0.0.1',
      'grpc_listen_port: 9096': `grpc_listen_port: ${port['lokiGrpc']}`,
      'alertmanager:9093': `127.0.0.1:${port['alertmanager']}`,
    }, 'loki/loki.yaml'),
  );
  services.push(
    await startService('loki', loki, [`-config.file=${join(lokiDir, 'loki.yaml')}`, '-config.expand-env=true'], `${lokiUrl}/ready`, 120_000, {
      LOKI_DATA_DIR: join(lokiDir, 'data'),
      LOKI_RULES_DIR: join(root, 'loki/rules'),
    }),
  );

  // Tempo first, so the Collector's exporter finds it.
  const tempoDir = tempDir('tempo');
  writeFileSync(
    join(tempoDir, 'tempo.yaml'),
    rewriteHostsAndPorts(readFileSync(join(root, 'tempo/tempo.yaml'), 'utf8'), {
      'http_listen_address: 0.0.0.0': 'http_listen_address: 127.0.0.1',
      'http_listen_port: 3200': `http_listen_port: ${port['tempo']}`,
      'grpc_listen_address: 0.0.0.0': 'grpc_listen_address: 127.0.0.1',
      'grpc_listen_port: 9095': `grpc_listen_port: ${port['tempoInternalGrpc']}`,
      '0.0.0.0:4317': `127.0.0.1:${port['tempoGrpc']}`,
      '0.0.0.0:4318': `127.0.0.1:${port['tempoOtlpHttp']}`,
      'prometheus:9090': `127.0.0.1:${port['prometheus']}`,
    }, 'tempo/tempo.yaml'),
  );
  services.push(
    await startService('tempo', tempo, [`-config.file=${join(tempoDir, 'tempo.yaml')}`, '-config.expand-env=true'], `${tempoUrl}/ready`, 120_000, {
      TEMPO_DATA_DIR: join(tempoDir, 'data'),
    }),
  );

  const dir = tempDir('stack');
  const collectorConfig = join(dir, 'otel-collector.yaml');
  writeFileSync(
    collectorConfig,
    rewriteHostsAndPorts(readFileSync(join(root, 'otel-collector.yaml'), 'utf8'), {
      '0.0.0.0:4317': `127.0.0.1:${port['otlpGrpc']}`,
      '0.0.0.0:4318': `127.0.0.1:${port['otlpHttp']}`,
      '0.0.0.0:13133': `127.0.0.1:${port['health']}`,
      'host: 0.0.0.0': 'host: 127.0.0.1',
      'port: 8888': `port: ${port['collectorMetrics']}`,
      'tempo:4317': `127.0.0.1:${port['tempoGrpc']}`,
    }, 'otel-collector.yaml'),
  );
  services.push(await startService('otelcol', otelcol, ['--config', collectorConfig], `http://127.0.0.1:${port['health']}/`));

  const relay = await startRelayProcess({
    OTEL_SERVICE_NAME: 'embedding-relay',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port['otlpHttp']}`,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    RELAY_PROVIDER_NAME: 'simulator',
    LOKI_URL: lokiUrl,
    ...relayEnv,
  });

  const promDir = tempDir('prometheus');
  copyFileSync(join(root, 'prometheus/embedding-relay.rules.yml'), join(promDir, 'embedding-relay.rules.yml'));
  writeFileSync(
    join(promDir, 'prometheus.yml'),
    rewriteHostsAndPorts(readFileSync(join(root, 'prometheus/prometheus.yml'), 'utf8'), {
      'relay:9464': `127.0.0.1:${relay.metricsPort}`,
      'otel-collector:8888': `127.0.0.1:${port['collectorMetrics']}`,
      'tempo:3200': `127.0.0.1:${port['tempo']}`,
      'loki:3100': `127.0.0.1:${port['loki']}`,
      'alertmanager:9093': `127.0.0.1:${port['alertmanager']}`,
      'localhost:9090': `127.0.0.1:${port['prometheus']}`,
    }, 'prometheus/prometheus.yml'),
  );
  services.push(
    await startService('prometheus', prometheus, [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port['prometheus']}`,
      // As in docker-compose.yml: Tempo's metrics-generator remote-writes span metrics with exemplars.
      '--web.enable-remote-write-receiver',
      '--enable-feature=exemplar-storage',
    ], `${promUrl}/-/ready`),
  );
  return {
    relay, services, port, otelcol, promUrl, tempoUrl, lokiUrl, alertsReceived,
    async stop() {
      await relay.stop();
      for (const s of [...services].reverse()) await s.stop();
      await webhook.close();
    },
  };
}
