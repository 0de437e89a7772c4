// Real Infinity (infinity-emb 0.0.78, torch on CPU) as a process for `npm run test:infinity`:
// provisioned by setup.sh (cached venv, locally built tiny BERT and its cross-encoder), started with the
// flags docs/servers.md gives, stopped at the end.
import { join } from 'node:path';
import { type Provisioned, runSetup } from '../support/setup-script.ts';
import { startService, type Service } from '../stack/services.ts';

const here = new URL('.', import.meta.url).pathname;

export const SERVED_MODEL = 'tiny-embed';
/** The tiny cross-encoder (build_model.py's reranker/), served beside it on /rerank. */
export const RERANK_MODEL = 'tiny-rerank';
/** The tiny model's hidden size: every vector has this many components. */
export const MODEL_DIMENSION = 128;

/** Runs setup.sh (builds the venv and the model once; cold about 3.5 min). Throws when it fails. */
export function provisionInfinity(): Provisioned {
  return runSetup(join(here, 'setup.sh'));
}

/** Starts `infinity_emb v2` and waits until /v1/models answers (about 12 s). `reranker`: serve the
 *  cross-encoder instead. One model per process: with one, Infinity answers any model name with it
 *  (infinity.test.ts relies on that); with two it would refuse the names it does not serve. */
export function startInfinity({ bin, modelDir }: Provisioned, port: number, reranker = false): Promise<Service> {
  const args = [
    'v2',
    '--model-id',
    reranker ? join(modelDir, 'reranker') : modelDir,
    '--served-model-name',
    reranker ? RERANK_MODEL : SERVED_MODEL,
    '--engine',
    'torch',
    '--device',
    'cpu',
    '--no-bettertransformer',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--url-prefix',
    '/v1',
  ];
  return startService('infinity', join(bin, 'infinity_emb'), args, `http://127.0.0.1:${port}/v1/models`, 120_000, {
    HF_HUB_OFFLINE: '1',
    INFINITY_ANONYMOUS_USAGE_STATS: '0',
    DO_NOT_TRACK: '1',
  });
}
