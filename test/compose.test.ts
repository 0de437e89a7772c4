// docker-compose.yml, checked without a Docker engine: Debian's docker-compose validates it, and
// the file's promises (pinned images, mounts that exist, relay configured by env only) hold.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const compose = (args: string[], files = ['docker-compose.yml']) => {
  const run = spawnSync('docker-compose', [...files.flatMap((f) => ['-f', f]), ...args], { cwd: root, encoding: 'utf8' });
  if (run.error) throw new Error(`docker-compose could not run (${run.error.message}); apt-get install docker-compose`);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
};
interface Service { command?: string[]; image?: string; build?: unknown; environment?: Record<string, string>; volumes?: string[]; profiles?: string[] }
const file = parse(readFileSync(`${root}docker-compose.yml`, 'utf8')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('docker-compose config accepts it', () => {
    const r = compose(['config', '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs the whole stack, and the gpu profile adds vLLM serving Qwen3-Embedding-4B', () => {
    const listed = compose(['config', '--services']).stdout.split('\n').filter(Boolean);
    const always = Object.entries(file.services).filter(([, s]) => s.profiles === undefined).map(([n]) => n).sort();
    expect(always).toEqual(['alert-webhook', 'alertmanager', 'grafana', 'loki', 'otel-collector', 'prometheus', 'relay', 'simulator', 'tempo']);
    for (const name of always) expect(listed).toContain(name);
    expect(file.services['vllm']!.profiles).toEqual(['gpu']);
    expect(JSON.stringify(file.services['vllm'])).toContain('Qwen/Qwen3-Embedding-4B');
  });

  it('pins every image and mounts only files that exist in the repository', () => {
    for (const [name, svc] of Object.entries(file.services)) {
      if (svc.image === 'embedding-relay:local') continue;
      expect(svc.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+(\.\d+)*$/);
    }
    const mounts = Object.values(file.services).flatMap((s) => s.volumes ?? []).filter((v) => v.startsWith('./'));
    expect(mounts.length).toBeGreaterThan(5);
    for (const m of mounts) expect(existsSync(`${root}${m.split(':')[0]!.slice(2)}`), m).toBe(true);
  });

  it('configures the relay only with OTEL_*, RELAY_* and LOKI_URL', () => {
    const env = Object.keys(file.services['relay']!.environment ?? {});
    expect(env.length).toBeGreaterThan(3);
    for (const k of env) expect(k).toMatch(/^(OTEL_|RELAY_|LOKI_URL$)/);
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
});
