// The real-server suites provision their program and model with a setup.sh (cached under
// ~/.cache/embedding-relay): run it, and return the lines it prints (paths). A failure throws: the
// suite fails, it never skips.
import { execFileSync } from 'node:child_process';

export function runSetup(script: string): string[] {
  return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n');
}
