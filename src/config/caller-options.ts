// Who a request is: inbound keys (a list, or a file re-read while the relay runs), the caller they
// name, a trusted header that may name it instead, and the request's own end user. Their part of
// the one table (options.ts spreads them in).
import { type CallerKey, headerName, integer, type KeyFile, keyFile, keyList, oneOf, type Option } from './parsers.ts';

/** What telemetry keeps of a request's `user` field (OpenAI's end-user id): a hash, the value, or nothing. */
export type EndUserPolicy = 'hash' | 'keep' | 'drop';

export const CALLER_DEFAULTS = {
  apiKeys: undefined as readonly CallerKey[] | undefined,
  apiKeysFile: undefined as KeyFile | undefined,
  apiKeysFilePollMs: 1_000,
  callerHeader: undefined as string | undefined,
  maxCallerLabels: 100,
  endUser: 'hash' as EndUserPolicy,
};

type CallerOptionKey = keyof typeof CALLER_DEFAULTS;

export const CALLER_OPTIONS: { [K in CallerOptionKey]: Option<NonNullable<(typeof CALLER_DEFAULTS)[K]>> } = {
  apiKeys: {
    env: 'RELAY_API_KEYS',
    flag: 'api-keys',
    parse: keyList,
    secret: true,
    help: 'Inbound auth: keys clients must send (Authorization: Bearer <key> or api-key: <key>), comma-separated, each optionally named (search:sk-1,ingest:sk-2: the caller label of metrics, spans and logs; never the key); 401 otherwise. Unset: no inbound auth.',
  },
  apiKeysFile: {
    env: 'RELAY_API_KEYS_FILE',
    flag: 'api-keys-file',
    parse: keyFile,
    help: 'Inbound auth from a file instead: one name:key (or key) per line, # comments. Re-read when it changes and on SIGHUP, without dropping connections; a file that cannot be read keeps the keys in use. Not with RELAY_API_KEYS.',
  },
  apiKeysFilePollMs: {
    env: 'RELAY_API_KEYS_FILE_POLL_MS',
    flag: 'api-keys-file-poll-ms',
    parse: integer(0, 3_600_000),
    help: 'How often RELAY_API_KEYS_FILE is checked for a change (0: only on SIGHUP).',
  },
  callerHeader: {
    env: 'RELAY_CALLER_HEADER',
    flag: 'caller-header',
    parse: headerName,
    help: 'Without inbound auth: a request header that names the caller, set by a trusted proxy or mesh in front (e.g. x-caller). Only there: any client that reaches the relay can set it. Unset: off.',
  },
  maxCallerLabels: {
    env: 'RELAY_MAX_CALLER_LABELS',
    flag: 'max-caller-labels',
    parse: integer(1, 10_000),
    help: 'Distinct caller names kept as metric labels; later ones become _OTHER (spans and logs keep the name).',
  },
  endUser: {
    env: 'RELAY_END_USER',
    flag: 'end-user',
    parse: oneOf(['hash', 'keep', 'drop'] as const),
    help: "A request's OpenAI `user` field, on the span and the log line only (never a metric label): hash (SHA-256, as user.hash), keep (as user.id) or drop.",
  },
};
