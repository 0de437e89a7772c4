// Real Ollama (built from its Go module by setup.sh, CPU) as a process for `npm run test:ollama`,
// serving the tiny BERT that test:infinity builds, imported the way `ollama create` does it: each file
// uploaded as a blob (POST /api/blobs/:digest), then POST /api/create naming them. `ollama create -f`
// with `FROM <dir>` cannot import this layout in v0.17.4: it sends 1_Pooling/config.json under the
// name config.json, and the conversion then fails with "unknown architecture".
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Provisioned, runSetup } from '../support/setup-script.ts';
import { startService, tempDir, type Service } from '../stack/services.ts';

const here = new URL('.', import.meta.url).pathname;

export const SERVED_MODEL = 'tiny-bert';
/** The tiny model's hidden size: every vector has this many components. */
export const MODEL_DIMENSION = 128;

/** Runs setup.sh (builds Ollama and the model once; cold about 15 min). Throws when it fails. */
export function provisionOllama(): Provisioned {
  return runSetup(join(here, 'setup.sh'));
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(json|safetensors)$/.test(e.name))
    .map((e) => relative(dir, join(e.parentPath, e.name)));

/** Starts `ollama serve` with its own home and model store, and imports the model as SERVED_MODEL. */
export async function startOllama({ bin, modelDir }: Provisioned, port: number): Promise<Service> {
  const home = tempDir('ollama');
  const base = `http://127.0.0.1:${port}`;
  const service = await startService('ollama', bin, ['serve'], `${base}/api/version`, 60_000, {
    HOME: home,
    OLLAMA_HOST: `127.0.0.1:${port}`,
    OLLAMA_MODELS: join(home, 'models'),
  });
  const files: Record<string, string> = {};
  for (const name of filesUnder(modelDir)) {
    const bytes = readFileSync(join(modelDir, name));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const up = await fetch(`${base}/api/blobs/${digest}`, { method: 'POST', body: bytes });
    if (!up.ok) throw new Error(`ollama: uploading ${name} answered ${up.status}: ${await up.text()}`);
    files[name] = digest;
  }
  const created = await fetch(`${base}/api/create`, {
    method: 'POST',
    body: JSON.stringify({ model: SERVED_MODEL, files, stream: false }),
  });
  if (!created.ok) throw new Error(`ollama: creating ${SERVED_MODEL} answered ${created.status}: ${await created.text()}`);
  return {
    ...service,
    stop: async () => {
      await service.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
