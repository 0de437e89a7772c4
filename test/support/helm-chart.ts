// The Helm chart (deploy/helm/embedding-relay) and the value sets every chart test renders: helm lint and
// template checks (test/deploy/helm.test.ts) and the server-side dry-run against a real Kubernetes API
// server (test/kube/chart.test.ts) take the same sets from here.
import { spawnSync } from 'node:child_process';
import { root } from './relay-process.ts';

export const chart = `${root}deploy/helm/embedding-relay`;

/** name → values (`a.b.c` paths). 'true'/'false' are booleans; everything else a string. */
export const VALUE_SETS: Record<string, Record<string, string>> = {
  defaults: {},
  monitoring: {
    'monitoring.serviceMonitor.enabled': 'true',
    'monitoring.prometheusRule.enabled': 'true',
    'monitoring.dashboard.enabled': 'true',
  },
  'in front of vLLM, with secrets, Collector and Loki': {
    'upstream.url': 'http://vllm:8000/v1',
    'secrets.apiKeys.name': 'relay-keys',
    'secrets.upstreamApiKey.name': 'vllm-key',
    'otel.endpoint': 'http://otel-collector:4318',
    lokiUrl: 'http://loki-gateway',
    'env.RELAY_EXPECTED_DIMENSIONS': 'Qwen/Qwen3-Embedding-4B=2560',
  },
  'sidecar in the vLLM pod, with monitoring': {
    'modelServer.enabled': 'true',
    'monitoring.serviceMonitor.enabled': 'true',
    'monitoring.prometheusRule.enabled': 'true',
  },
};

/** helm flags for a value set: --set for booleans (lint reads their types), --set-string for the rest. */
export const valueArgs = (values: Record<string, string>): string[] =>
  Object.entries(values).flatMap(([k, v]) => (v === 'true' || v === 'false' ? ['--set', `${k}=${v}`] : ['--set-string', `${k}=${v}`]));

/** Runs the helm binary; throws only when it cannot run at all. */
export function helm(bin: string, args: string[]): { status: number | null; out: string; stdout: string } {
  const run = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (run.error) throw new Error(`helm could not run (${run.error.message})`);
  return { status: run.status, out: `${run.stdout}${run.stderr}`, stdout: run.stdout };
}
