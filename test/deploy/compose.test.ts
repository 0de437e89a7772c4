// docker-compose.yml, checked without a Docker engine: docker-compose 1.29.2 (test/tools/provision.sh) validates it, and
// the file's promises (pinned images, mounts that exist, relay configured by env only) hold.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULTS } from '../../src/config/options.ts';
import { FLUSH_TIMEOUT_MS } from '../../src/telemetry/sdk.ts';
import { toolPath } from '../tools/tools.ts';
import { APACHE_STACK_SERVICES } from '../support/compose-services.ts';

const root = new URL('../..', import.meta.url).pathname;
const compose = (args: string[], files = ['docker-compose.yml']) => {
  const run = spawnSync(toolPath('docker-compose'), [...files.flatMap((f) => ['-f', f]), ...args], { cwd: root, encoding: 'utf8' });
  if (run.error) throw new Error(`docker-compose could not run (${run.error.message})`);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
};
interface Service {
  command?: string[];
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  volumes?: string[];
  profiles?: string[];
  stop_grace_period?: string;
}
const file = parse(readFileSync(`${root}docker-compose.yml`, 'utf8')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('docker-compose config accepts it', () => {
    const r = compose(['config', '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs the whole stack, and the gpu profile adds vLLM serving Qwen3-Embedding-4B', () => {
    const listed = compose(['config', '--services']).stdout.split('\n').filter(Boolean);
    const always = Object.entries(file.services)
      .filter(([, s]) => s.profiles === undefined)
      .map(([n]) => n)
      .sort();
    expect(always).toEqual([
      'alert-webhook',
      'alertmanager',
      'grafana',
      'loki',
      'otel-collector',
      'prometheus',
      'relay',
      'simulator',
      'tempo',
    ]);
    for (const name of always) expect(listed).toContain(name);
    expect(file.services['vllm']!.profiles).toEqual(['gpu']);
    expect(JSON.stringify(file.services['vllm'])).toContain('Qwen/Qwen3-Embedding-4B');
  });

  it('pins every image and mounts only files that exist in the repository', () => {
    for (const [name, svc] of Object.entries(file.services)) {
      if (svc.image === 'embedding-relay:local') continue;
      expect(svc.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+(\.\d+)*$/);
    }
    const mounts = Object.values(file.services)
      .flatMap((s) => s.volumes ?? [])
      .filter((v) => v.startsWith('./'));
    expect(mounts.length).toBeGreaterThan(5);
    for (const m of mounts) expect(existsSync(`${root}${m.split(':')[0]!.slice(2)}`), m).toBe(true);
  });

  it('configures the relay only with OTEL_*, RELAY_* and LOKI_URL', () => {
    const env = Object.keys(file.services['relay']!.environment ?? {});
    expect(env.length).toBeGreaterThan(3);
    for (const k of env) expect(k).toMatch(/^(OTEL_|RELAY_|LOKI_URL$)/);
  });

  it("gives the relay time to drain and flush before Docker's SIGKILL", () => {
    const graceMs = DEFAULTS.shutdownGraceMs;
    const stop = file.services['relay']!.stop_grace_period ?? '10s'; // Docker's default
    expect(stop).toMatch(/^\d+s$/);
    expect(Number.parseInt(stop, 10) * 1000).toBeGreaterThan(graceMs + FLUSH_TIMEOUT_MS);
  });

  it('docker-compose.gpu.yml turns the GPU gauges on in the relay and lets it see the GPUs', () => {
    const r = compose(['config'], ['docker-compose.yml', 'docker-compose.gpu.yml']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const relay = (parse(r.stdout) as { services: Record<string, Service & { deploy?: unknown }> }).services['relay']!;
    expect(relay.environment).toMatchObject({ RELAY_GPU: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' });
    expect(JSON.stringify(relay.deploy)).toContain('"driver":"nvidia"');
    expect(file.services['vllm']!.command).toContain('--gpu-memory-utilization');
  });

  it('docker-compose.apache.yml swaps Tempo and Loki for Jaeger and VictoriaLogs and starts nothing AGPL', () => {
    const r = compose(['config'], ['docker-compose.yml', 'docker-compose.apache.yml']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const merged = (parse(r.stdout) as { services: Record<string, Service & { depends_on?: unknown }> }).services;
    const started = Object.entries(merged)
      .filter(([, s]) => s.profiles === undefined)
      .map(([n]) => n)
      .sort();
    expect(started).toEqual(APACHE_STACK_SERVICES);
    for (const agpl of ['tempo', 'loki', 'grafana']) expect(merged[agpl]!.profiles, agpl).toEqual(['agpl']);
    // Nothing that starts may wait for a service that does not.
    for (const name of started) {
      const deps = merged[name]!.depends_on;
      const names = Array.isArray(deps) ? deps : Object.keys((deps ?? {}) as object);
      for (const d of names as string[]) expect(started, `${name} depends on ${d}`).toContain(d);
    }
    expect(merged['relay']!.environment!['LOKI_URL']).toBe('http://victorialogs:9428/insert');
    expect(merged['otel-collector']!.environment!['TRACES_BACKEND_ENDPOINT']).toBe('jaeger:4317');
    expect(merged['prometheus']!.command).toContain('--config.file=/etc/prometheus/prometheus.apache.yml');
    expect(merged['prometheus']!.command).toContain('--enable-feature=exemplar-storage');
    expect(merged['victorialogs']!.command).toContain('-loki.disableMessageParsing');
    const apache = parse(readFileSync(`${root}docker-compose.apache.yml`, 'utf8')) as { services: Record<string, Service> };
    for (const name of ['jaeger', 'victorialogs']) expect(apache.services[name]!.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
    const mounts = Object.values(apache.services)
      .flatMap((s) => s.volumes ?? [])
      .filter((v) => v.startsWith('./'));
    for (const m of mounts) expect(existsSync(`${root}${m.split(':')[0]!.slice(2)}`), m).toBe(true);
  });

  it('the images the override runs are the versions the stack tests build', () => {
    const apache = parse(readFileSync(`${root}docker-compose.apache.yml`, 'utf8')) as { services: Record<string, Service> };
    const jaegerMod = readFileSync(`${root}test/stack/jaeger-build/go.mod`, 'utf8');
    const vlMod = readFileSync(`${root}test/stack/victorialogs-build/go.mod`, 'utf8');
    // Jaeger's Go module v1.N.x is Jaeger 2.(N-63).x (v1.76.0 = 2.13.0).
    const [, minor, patch] = /github\.com\/jaegertracing\/jaeger v1\.(\d+)\.(\d+)/.exec(jaegerMod)!;
    expect(apache.services['jaeger']!.image).toBe(`jaegertracing/jaeger:2.${Number(minor) - 63}.${patch}`);
    const [, vl] = /github\.com\/VictoriaMetrics\/VictoriaLogs (v[\d.]+)/.exec(vlMod)!;
    expect(apache.services['victorialogs']!.image).toBe(`victoriametrics/victoria-logs:${vl}`);
  });
});

describe('prometheus/prometheus.apache.yml', () => {
  it('is prometheus.yml with jaeger and victorialogs jobs in place of tempo and loki', () => {
    type Job = { job_name: string; static_configs: { targets: string[] }[] };
    const base = parse(readFileSync(`${root}prometheus/prometheus.yml`, 'utf8')) as { scrape_configs: Job[] };
    const apache = parse(readFileSync(`${root}prometheus/prometheus.apache.yml`, 'utf8')) as { scrape_configs: Job[] };
    const swap: Record<string, Job> = {
      tempo: { job_name: 'jaeger', static_configs: [{ targets: ['jaeger:8888'] }] },
      loki: { job_name: 'victorialogs', static_configs: [{ targets: ['victorialogs:9428'] }] },
    };
    expect(apache).toEqual({ ...base, scrape_configs: base.scrape_configs.map((j) => swap[j.job_name] ?? j) });
    expect(base.scrape_configs.map((j) => j.job_name)).toContain('span-metrics');
  });
});
