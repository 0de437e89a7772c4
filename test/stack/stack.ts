// Starts the whole stack on 127.0.0.1 with the repository's own config files, as
// docker-compose.yml + docker-compose.apache.yml run it: Alertmanager and Prometheus (Debian),
// Jaeger v2 in Tempo's place and VictoriaLogs in Loki's (Apache-2.0, built from their Go modules),
// the OpenTelemetry Collector (built by ocb), and the relay as a process configured only by
// OTEL_*/RELAY_*/LOKI_URL env. Configs change only in hosts, ports and data paths (rewrite.ts).
// Tempo, Loki and Grafana (AGPL-3.0) are never built or run here. Used by `npm run test:stack` and
// `npm run stack`.
import { copyFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parse } from 'yaml';
import { listen } from '../../src/server/listen.ts';
import { freePort, root, startRelayProcess, type RelayProcess } from '../support/relay-process.ts';
import { rewriteFlags, rewriteHostsAndPorts, writeRewritten } from './rewrite.ts';
import { jaegerBinary, otelcolBinary, startService, systemBinary, tempDir, victoriaLogsBinary, type Service } from './services.ts';

export interface Stack {
  relay: RelayProcess;
  services: Service[];
  port: Record<string, number>;
  otelcol: string;
  jaeger: string;
  promUrl: string;
  /** Jaeger's query API (and UI, when the binary has it). */
  jaegerUrl: string;
  /** VictoriaLogs: LogsQL at /select/logsql/query, Loki push at /insert/loki/api/v1/push. */
  logsUrl: string;
  /** Webhook payloads Alertmanager delivered. */
  alertsReceived: unknown[];
  stop(): Promise<void>;
}

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
}
/** docker-compose.apache.yml: where the stand-ins' settings (flags, env) are kept for users and tests alike. */
export const apacheCompose = (): Record<string, ComposeService> =>
  (parse(readFileSync(join(root, 'docker-compose.apache.yml'), 'utf8')) as { services: Record<string, ComposeService> }).services;

const PORTS = [
  'otlpGrpc',
  'otlpHttp',
  'health',
  'collectorMetrics',
  'spanMetrics',
  'jaegerGrpc',
  'jaegerHttp',
  'jaegerQuery',
  'jaegerQueryGrpc',
  'jaegerHealth',
  'jaegerMetrics',
  'victorialogs',
  'prometheus',
  'alertmanager',
];

export interface StackOptions {
  /** host:port of a running vLLM: Prometheus scrapes its /metrics (the vllm job). */
  vllmMetrics?: string;
}

export async function startStack(relayEnv: Record<string, string> = {}, opts: StackOptions = {}): Promise<Stack> {
  const services: Service[] = [];
  const port: Record<string, number> = {};
  const alertsReceived: unknown[] = [];
  const otelcol = otelcolBinary();
  const jaeger = jaegerBinary();
  const victoriaLogs = victoriaLogsBinary();
  const prometheus = systemBinary('prometheus', 'prometheus');
  const alertmanager = systemBinary('prometheus-alertmanager', 'prometheus-alertmanager');
  for (const name of PORTS) port[name] = await freePort();
  const promUrl = `http://127.0.0.1:${port['prometheus']}`;
  const jaegerUrl = `http://127.0.0.1:${port['jaegerQuery']}`;
  const logsUrl = `http://127.0.0.1:${port['victorialogs']}`;
  const compose = apacheCompose();

  // Alertmanager (Debian) with the repo's config; its webhook receiver is this test.
  const webhook = await listen(
    createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        alertsReceived.push(JSON.parse(body));
        res.end();
      });
    }),
    '127.0.0.1',
    0,
  );
  const amDir = tempDir('alertmanager');
  writeRewritten('prometheus/alertmanager.yml', join(amDir, 'alertmanager.yml'), {
    'alert-webhook:9095': `127.0.0.1:${new URL(webhook.url).port}`,
  });
  services.push(
    await startService(
      'alertmanager',
      alertmanager,
      [
        `--config.file=${join(amDir, 'alertmanager.yml')}`,
        `--storage.path=${join(amDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port['alertmanager']}`,
        '--cluster.listen-address=',
      ],
      `http://127.0.0.1:${port['alertmanager']}/-/ready`,
    ),
  );

  // VictoriaLogs with the flags docker-compose.apache.yml gives it (listen address and data path rewritten).
  const vlDir = tempDir('victorialogs');
  services.push(
    await startService(
      'victorialogs',
      victoriaLogs,
      rewriteFlags(
        compose['victorialogs']!.command!,
        {
          '-httpListenAddr': `127.0.0.1:${port['victorialogs']}`,
          '-storageDataPath': join(vlDir, 'data'),
        },
        'docker-compose.apache.yml victorialogs.command',
      ),
      `${logsUrl}/health`,
    ),
  );

  // Jaeger with the repo's jaeger/jaeger.yaml, before the Collector so its exporter finds it.
  const jaegerDir = tempDir('jaeger');
  writeRewritten('jaeger/jaeger.yaml', join(jaegerDir, 'jaeger.yaml'), {
    '0.0.0.0:4317': `127.0.0.1:${port['jaegerGrpc']}`,
    '0.0.0.0:4318': `127.0.0.1:${port['jaegerHttp']}`,
    '0.0.0.0:16686': `127.0.0.1:${port['jaegerQuery']}`,
    '0.0.0.0:16685': `127.0.0.1:${port['jaegerQueryGrpc']}`,
    '0.0.0.0:13133': `127.0.0.1:${port['jaegerHealth']}`,
    'host: 0.0.0.0': 'host: 127.0.0.1',
    'port: 8888': `port: ${port['jaegerMetrics']}`,
  });
  services.push(
    await startService('jaeger', jaeger, [`--config=${join(jaegerDir, 'jaeger.yaml')}`], `http://127.0.0.1:${port['jaegerHealth']}/status`),
  );

  // The Collector with the repo's config; its trace exporter goes where docker-compose.apache.yml
  // points it (TRACES_BACKEND_ENDPOINT=jaeger:4317, rewritten to Jaeger's port here).
  const dir = tempDir('stack');
  const collectorConfig = join(dir, 'otel-collector.yaml');
  writeRewritten('otel-collector.yaml', collectorConfig, {
    '0.0.0.0:4317': `127.0.0.1:${port['otlpGrpc']}`,
    '0.0.0.0:4318': `127.0.0.1:${port['otlpHttp']}`,
    '0.0.0.0:8889': `127.0.0.1:${port['spanMetrics']}`,
    '0.0.0.0:13133': `127.0.0.1:${port['health']}`,
    'host: 0.0.0.0': 'host: 127.0.0.1',
    'port: 8888': `port: ${port['collectorMetrics']}`,
  });
  const tracesBackend = rewriteHostsAndPorts(
    compose['otel-collector']!.environment!['TRACES_BACKEND_ENDPOINT']!,
    {
      'jaeger:4317': `127.0.0.1:${port['jaegerGrpc']}`,
    },
    'docker-compose.apache.yml otel-collector.environment',
  );
  services.push(
    await startService('otelcol', otelcol, ['--config', collectorConfig], `http://127.0.0.1:${port['health']}/`, 60_000, {
      TRACES_BACKEND_ENDPOINT: tracesBackend,
    }),
  );

  const relay = await startRelayProcess({
    OTEL_SERVICE_NAME: 'embedding-relay',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port['otlpHttp']}`,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    RELAY_PROVIDER_NAME: 'simulator',
    // As docker-compose.apache.yml sets it: VictoriaLogs' Loki API lives under /insert.
    LOKI_URL: rewriteHostsAndPorts(
      compose['relay']!.environment!['LOKI_URL']!,
      {
        'victorialogs:9428': `127.0.0.1:${port['victorialogs']}`,
      },
      'docker-compose.apache.yml relay.environment',
    ),
    ...relayEnv,
  });

  const promDir = tempDir('prometheus');
  for (const rules of ['embedding-relay.rules.yml', 'embedding-relay.slo.rules.yml'])
    copyFileSync(join(root, 'prometheus', rules), join(promDir, rules));
  writeRewritten(
    'prometheus/prometheus.apache.yml',
    join(promDir, 'prometheus.yml'),
    {
      'relay:9464': `127.0.0.1:${relay.metricsPort}`,
      'otel-collector:8888': `127.0.0.1:${port['collectorMetrics']}`,
      'otel-collector:8889': `127.0.0.1:${port['spanMetrics']}`,
      'jaeger:8888': `127.0.0.1:${port['jaegerMetrics']}`,
      'victorialogs:9428': `127.0.0.1:${port['victorialogs']}`,
      'alertmanager:9093': `127.0.0.1:${port['alertmanager']}`,
      'localhost:9090': `127.0.0.1:${port['prometheus']}`,
    },
    opts.vllmMetrics,
  );
  // The flags docker-compose.apache.yml gives Prometheus, but for the paths and the listen address.
  const promFlags = compose['prometheus']!.command!.filter((a) => !/^--(config\.file|storage\.tsdb\.path)=/.test(a));
  services.push(
    await startService(
      'prometheus',
      prometheus,
      [
        `--config.file=${join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port['prometheus']}`,
        ...promFlags,
      ],
      `${promUrl}/-/ready`,
    ),
  );
  return {
    relay,
    services,
    port,
    otelcol,
    jaeger,
    promUrl,
    jaegerUrl,
    logsUrl,
    alertsReceived,
    async stop() {
      await relay.stop();
      for (const s of [...services].reverse()) await s.stop();
      await webhook.close();
    },
  };
}
