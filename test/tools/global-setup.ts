// vitest globalSetup of `npm test`: provisions promtool, amtool and docker-compose into the
// project's cache (test/tools/provision.sh; no root, no manual step) and hands their paths to the
// tests (see test/tools/tools.ts). The first run builds them (minutes); later runs reuse them.
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject): void {
  const out = execFileSync('bash', [new URL('./provision.sh', import.meta.url).pathname], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  project.provide('tools', JSON.parse(out) as Record<string, string>);
}
