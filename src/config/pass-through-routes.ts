// Which of the model server's other routes the relay passes on (RELAY_PASSTHROUGH_ROUTES): an
// explicit allow-list of inference and read-only routes of vLLM, TEI, Infinity and Ollama. They are
// relayed unchanged with HTTP telemetry only (relay/routes.ts). The GenAI operations (embeddings,
// rerank, score) and /v1/models are routes of their own and need no entry here. Admin and debug
// routes are never relayed, whatever the setting says: they change the server for every caller.
import { ParseError, type Parser } from './parsers.ts';

export const DEFAULT_PASS_THROUGH_ROUTES: readonly string[] = [
  // vLLM: tokenizer, pooling and classification runners, server facts.
  '/tokenize',
  '/detokenize',
  '/pooling',
  '/classify',
  '/v1/classify',
  '/version',
  '/health',
  // Text Embeddings Inference: its native routes besides /rerank.
  '/embed',
  '/embed_all',
  '/embed_sparse',
  '/predict',
  '/decode',
  '/similarity',
  '/info',
  // Ollama: its native embedding routes and read-only model facts.
  '/api/embed',
  '/api/embeddings',
  '/api/tags',
  '/api/show',
  '/api/ps',
  '/api/version',
];

/** Never relayed: vLLM's admin and debug routes (cache resets, sleep mode, RPC, profiling, LoRA
 *  loading, weight updates, scaling) and Ollama's model management. */
export const ADMIN_ROUTES: readonly string[] = [
  '/reset_prefix_cache',
  '/reset_mm_cache',
  '/reset_encoder_cache',
  '/sleep',
  '/wake_up',
  '/is_sleeping',
  '/collective_rpc',
  '/start_profile',
  '/stop_profile',
  '/scale_elastic_ep',
  '/is_scaling_elastic_ep',
  '/pause',
  '/resume',
  '/update_weights',
  '/v1/load_lora_adapter',
  '/v1/unload_lora_adapter',
  '/server_info',
  '/api/pull',
  '/api/push',
  '/api/create',
  '/api/copy',
  '/api/delete',
  '/api/blobs',
];

/** `default` (the list above), `none` (nothing passes), or a comma-separated list of paths in
 *  which `default` stands for the list above (`default,/v1/foo` widens it). */
export const passThroughRoutes: Parser<readonly string[]> = (raw) => {
  const routes = new Set<string>();
  for (const item of raw.split(',').map((s) => s.trim())) {
    if (item === 'none' || item === '') continue;
    if (item === 'default') {
      for (const r of DEFAULT_PASS_THROUGH_ROUTES) routes.add(r);
      continue;
    }
    if (!/^\/[A-Za-z0-9._~\-/]*$/.test(item))
      throw new ParseError(`expected default, none or paths starting with / (got ${JSON.stringify(item)})`);
    if (ADMIN_ROUTES.includes(item)) throw new ParseError(`${item} is an admin route of the model server and is never relayed`);
    routes.add(item);
  }
  return [...routes];
};
