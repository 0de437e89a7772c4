// Real vLLM (CPU build) as a process for `npm run test:vllm`: provisioned by setup.sh (cached venv,
// locally built tiny model), started with the flags the README documents, stopped at the end.
import { join } from 'node:path';
import { runSetup } from '../support/setup-script.ts';
import { startService, type Service } from '../stack/services.ts';

const here = new URL('.', import.meta.url).pathname;

export const SERVED_MODEL = 'tiny-embed';
/** The tiny cross-encoder (build_model.py's reranker/), served by a vLLM of its own. */
export const RERANK_MODEL = 'tiny-rerank';
/** The tiny model's hidden size: every vector has this many components. */
export const MODEL_DIMENSION = 128;

export interface Provisioned {
  python: string;
  modelDir: string;
}

/** Runs setup.sh (builds the venv and the model once; cold about 4 min). Throws when it fails. */
export function provisionVllm(): Provisioned {
  const { bin: python, modelDir } = runSetup(join(here, 'setup.sh'));
  return { python, modelDir };
}

export interface VllmOptions {
  port: number;
  /** OTLP/HTTP traces endpoint (…/v1/traces) for vLLM's own spans. */
  otlpTracesEndpoint?: string;
  /** Serve the cross-encoder (classify runner: /rerank and /score) instead of the embedding model. */
  crossEncoder?: boolean;
}

/** Starts `vllm serve` (through launcher.py) and waits until /v1/models answers (about 20 s). */
export function startVllm({ python, modelDir }: Provisioned, opts: VllmOptions): Promise<Service> {
  const model = opts.crossEncoder
    ? [join(modelDir, 'reranker'), '--runner', 'pooling', '--convert', 'classify', '--served-model-name', RERANK_MODEL]
    : // Matryoshka on: `dimensions` is accepted (Qwen3-Embedding is trained that way).
      [
        modelDir,
        '--runner',
        'pooling',
        '--convert',
        'embed',
        '--served-model-name',
        SERVED_MODEL,
        '--hf-overrides',
        '{"is_matryoshka":true}',
      ];
  const args = [
    join(here, 'launcher.py'),
    'serve',
    ...model,
    '--max-model-len',
    '512',
    '--dtype',
    'float32',
    // Eager and a small KV cache: ready in about 20 s instead of 35 s, 1.9 GiB.
    '--enforce-eager',
    '--kv-cache-memory-bytes',
    String(64 * 1024 * 1024),
    '--host',
    '127.0.0.1',
    '--port',
    String(opts.port),
  ];
  if (opts.otlpTracesEndpoint) args.push('--otlp-traces-endpoint', opts.otlpTracesEndpoint);
  return startService('vllm', python, args, `http://127.0.0.1:${opts.port}/v1/models`, 240_000, {
    HF_HUB_OFFLINE: '1',
    VLLM_CPU_KVCACHE_SPACE: '1',
    VLLM_NO_USAGE_STATS: '1',
    DO_NOT_TRACK: '1',
    OTEL_SERVICE_NAME: 'vllm',
    // http/json makes vLLM 0.32 exit at start-up.
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
  });
}
