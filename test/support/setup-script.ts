// The real-server suites provision their program and model with a setup.sh (cached under
// ~/.cache/embedding-relay) that prints two paths. A failure throws: the suite fails, it never skips.
import { execFileSync } from 'node:child_process';

/** What a setup.sh prints: the program (a binary, a venv's bin/ or its python), then the model's directory. */
export interface Provisioned {
  bin: string;
  modelDir: string;
}

export function runSetup(script: string): Provisioned {
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [bin, modelDir] = out.trim().split('\n');
  if (bin === undefined || modelDir === undefined) throw new Error(`${script} printed ${JSON.stringify(out)}, not two paths`);
  return { bin, modelDir };
}
