// Local images under the names docker-compose.yml and docker-compose.apache.yml use, for the services
// whose programs can be had here without a registry: the Collector (the ocb build of the stack tests),
// Jaeger and VictoriaLogs (built from their Go modules), Prometheus and Alertmanager (Debian's binaries,
// Prometheus 2.42 and Alertmanager 0.25 where the compose files name newer images). Each is a small
// image FROM local/debian:bookworm whose ENTRYPOINT is the program, as in the official image, so the
// compose files' own `command`, volumes and ports are what runs. Tempo, Loki and Grafana (AGPL) and vLLM
// (a GPU) are not made: the AGPL ones are in the `agpl` profile of docker-compose.apache.yml.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { root } from '../support/relay-process.ts';
import { jaegerBinary, otelcolBinary, victoriaLogsBinary } from '../stack/services.ts';
import { dockerOk } from './docker.ts';

interface StandIn {
  /** The compose service whose image this replaces. */
  service: string;
  file: 'docker-compose.yml' | 'docker-compose.apache.yml';
  binary: () => string;
  /** Where the official image keeps it (the ENTRYPOINT). */
  path: string;
  /** Extra Dockerfile lines: the directories and user the official image has. */
  extra?: string[];
  /** Files the program reads besides its config: host path → path in the image. */
  files?: Record<string, string>;
}

const STAND_INS: StandIn[] = [
  { service: 'otel-collector', file: 'docker-compose.yml', binary: otelcolBinary, path: '/otelcol-contrib', extra: ['USER 10001'] },
  {
    service: 'prometheus',
    file: 'docker-compose.yml',
    binary: () => '/usr/bin/prometheus',
    path: '/bin/prometheus',
    extra: ['RUN mkdir -p /prometheus && chown nobody:nogroup /prometheus', 'WORKDIR /prometheus', 'USER nobody'],
  },
  {
    service: 'alertmanager',
    file: 'docker-compose.yml',
    binary: () => '/usr/bin/prometheus-alertmanager',
    path: '/bin/alertmanager',
    // Debian's build reads its notification templates from a file instead of embedding them.
    files: Object.fromEntries(
      ['default.tmpl', 'email.tmpl'].map((f) => [`/usr/share/prometheus/alertmanager/${f}`, `/usr/share/prometheus/alertmanager/${f}`]),
    ),
    // Debian's build keeps its data in /var/lib/prometheus/alertmanager by default (the official image: /alertmanager/data).
    extra: [
      'RUN mkdir -p /alertmanager /var/lib/prometheus && chown nobody:nogroup /alertmanager /var/lib/prometheus',
      'WORKDIR /alertmanager',
      'USER nobody',
    ],
  },
  { service: 'jaeger', file: 'docker-compose.apache.yml', binary: jaegerBinary, path: '/cmd/jaeger/jaeger-linux', extra: ['USER 10001'] },
  {
    service: 'victorialogs',
    file: 'docker-compose.apache.yml',
    binary: victoriaLogsBinary,
    path: '/victoria-logs-prod',
    extra: ['RUN mkdir -p /victoria-logs-data'],
  },
];

const imageOf = (file: string, service: string): string => {
  const compose = parse(readFileSync(join(root, file), 'utf8')) as { services: Record<string, { image?: string }> };
  const image = compose.services[service]?.image;
  if (image === undefined) throw new Error(`${file} has no image for ${service}`);
  return image;
};

/** Builds (or reuses, by Docker's layer cache) every stand-in; returns service → image. */
export function buildStandIns(): Record<string, string> {
  const made: Record<string, string> = {};
  for (const s of STAND_INS) {
    const image = imageOf(s.file, s.service);
    const ctx = mkdtempSync(join(tmpdir(), `embedding-relay-standin-${s.service}-`));
    try {
      copyFileSync(s.binary(), join(ctx, 'program'));
      const files = Object.entries(s.files ?? {});
      for (const [i, [from]] of files.entries()) copyFileSync(from, join(ctx, `file${i}`));
      writeFileSync(
        join(ctx, 'Dockerfile'),
        [
          'FROM local/debian:bookworm',
          `COPY program ${s.path}`,
          ...files.map(([, to], i) => `COPY file${i} ${to}`),
          `LABEL org.opencontainers.image.description="test stand-in for ${image}, made by test/docker/stand-ins.ts"`,
          ...(s.extra ?? []),
          `ENTRYPOINT ["${s.path}"]`,
          '',
        ].join('\n'),
      );
      dockerOk(['build', '-q', '-t', image, ctx]);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
    made[s.service] = image;
  }
  return made;
}
