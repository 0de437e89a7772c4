// A peer's install in ~/.cache/embedding-relay, made by its setup script on first use (LiteLLM's
// venv: bench/litellm/setup.sh; the Portkey gateway: bench/portkey/setup.sh). The script's
// progress goes to our stderr; its last line on stdout is the install's path.
import { spawnSync } from 'node:child_process';

/** Runs `script` (bash) and returns the path it printed last; throws when it failed. */
export function provisioned(script: string): string {
  const setup = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = setup.stdout?.trim().split('\n').at(-1);
  if (setup.status !== 0 || !path) throw new Error(`${script} failed (${setup.error?.message ?? `exit ${setup.status ?? setup.signal}`})`);
  return path;
}
