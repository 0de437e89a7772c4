// Header names the relay gives meaning to, in one leaf module (pino's symbols.js, for headers):
// anything may import it, it imports nothing.

/** Marks the relay's own calls (upstream probes for /readyz and the start-up check, Loki pushes) so
 *  telemetry leaves them out. */
export const PROBE_HEADER = 'x-embedding-relay-probe';
/** The response header OpenAI SDKs expose as a response's or an error's request id (openai-python
 *  `err.request_id`, openai-node `err.requestID` and `withResponse().request_id`). */
export const REQUEST_ID_HEADER = 'x-request-id';
/** Marks the drift canary's upstream calls (never user traffic). */
export const CANARY_HEADER = 'x-embedding-relay-canary';
/** Set on every simulator response: these vectors are fake. */
export const SIMULATOR_HEADER = 'x-embedding-simulator';
/**
 * Per-request fault injection (simulator only): `500`/`503`/`429`/... answer that status;
 * `hang` never answers; `reset` cuts the connection after the headers; `no-usage` omits usage;
 * `garbage` answers 200 with a body that is not JSON. Broken vectors (first vector unless said):
 * `dims:N` every vector has N dimensions (a model swap); `null` a null component; `nan` a NaN
 * component (a bare NaN token in float JSON, as Python servers write it); `zero` all zeros;
 * `unnormalized` scaled ×3; `duplicate` the second vector repeats the first. `model:NAME` names
 * another model in the response (a server that answers any name with its own model).
 */
export const FAULT_HEADER = 'x-simulator-fault';
