// The strict parsers of the options table: each owns the "expected ..." phrase printed to the
// operator when a value is wrong. Hand-written rather than zod schemas because the message *is*
// the product here (zod's generic issue text is worse for that); zod validates request bodies.
import { readFileSync, statSync } from 'node:fs';

export type Parser<T> = (raw: string) => T;

/** One row of the options table (options.ts). */
export interface Option<T> {
  readonly env: string;
  readonly flag: string;
  readonly parse: Parser<T>;
  readonly help: string;
  /** Shown in --help and README; secrets are never echoed. */
  readonly secret?: boolean;
  /** How --help and the README show the default, where printing the value would not say it. */
  readonly shownDefault?: string;
}

export class ParseError extends Error {}

export const integer =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new ParseError(`expected an integer from ${min} to ${max}`);
    }
    return Number(raw);
  };

export const decimal =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const n = Number(raw);
    if (!/^-?(\d+\.?\d*|\.\d+)$/.test(raw) || n < min || n > max) {
      throw new ParseError(`expected a number from ${min} to ${max}`);
    }
    return n;
  };

export const boolean: Parser<boolean> = (raw) => {
  const v = raw.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ParseError('expected true or false');
};

export const oneOf =
  <T extends string>(values: readonly T[]): Parser<T> =>
  (raw) => {
    if (!(values as readonly string[]).includes(raw)) throw new ParseError(`expected one of ${values.join(', ')}`);
    return raw as T;
  };

export const httpUrl: Parser<string> = (raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ParseError('expected an absolute http:// or https:// URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new ParseError('expected an absolute http:// or https:// URL');
  }
  if (url.search !== '' || url.hash !== '') throw new ParseError('expected a URL without query or fragment');
  return url.href.replace(/\/+$/, '');
};

/** An http(s) URL whose user and password (if any) decode: LOKI_URL's become Basic auth. */
export const httpUrlWithCredentials: Parser<string> = (raw) => {
  const href = httpUrl(raw);
  const url = new URL(href);
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw new ParseError('expected the user and password to be percent-encoded (a literal % is %25)');
  }
  return href;
};

/** A URL's password never appears in a start-up error. */
export function withoutPassword(raw: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/i.exec(raw);
  return m ? raw.replace(m[0], `${m[1]}<redacted>@`) : raw;
}

/** `model=dim,model2=dim2` → Map (model names may contain '/', ':' and '-'). */
export const dimensionMap: Parser<ReadonlyMap<string, number>> = (raw) => {
  const map = new Map<string, number>();
  for (const part of raw.split(',')) {
    const eq = part.lastIndexOf('=');
    const model = part.slice(0, eq).trim();
    const dim = part.slice(eq + 1).trim();
    if (eq <= 0 || model === '' || !/^\d+$/.test(dim) || Number(dim) < 1 || Number(dim) > 65536) {
      throw new ParseError('expected model=dimension pairs separated by commas, e.g. Qwen/Qwen3-Embedding-4B=2560');
    }
    map.set(model, Number(dim));
  }
  return map;
};

/** One inbound key and the caller it names (RELAY_API_KEYS `name:key`; a bare key names no caller). */
export interface CallerKey {
  readonly caller: string | undefined;
  readonly key: string;
}

/** What a caller's name may be: it becomes a metric label value and a log field. */
export const CALLER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `name:key` or `key`, comma-separated: the text before the first `:` is the caller's name when it
 *  is one (CALLER_NAME); a key that itself contains `:` must therefore be named. A key listed twice
 *  is refused (which name would it carry?); one name may hold several keys (a rotation's overlap). */
export const keyList: Parser<readonly CallerKey[]> = (raw) => {
  const entries = raw.split(',').map((k) => k.trim());
  if (entries.some((k) => k === '' || /\s/.test(k))) throw new ParseError('expected comma-separated keys without spaces, e.g. key-1,key-2');
  return callerKeys(entries);
};

function callerKeys(entries: readonly string[]): readonly CallerKey[] {
  const keys = entries.map((entry): CallerKey => {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon) : undefined;
    return name !== undefined && CALLER_NAME.test(name) ? { caller: name, key: entry.slice(colon + 1) } : { caller: undefined, key: entry };
  });
  if (keys.some((k) => k.key === '')) throw new ParseError('expected a key after each caller name, e.g. search:sk-1,ingest:sk-2');
  if (new Set(keys.map((k) => k.key)).size < keys.length) throw new ParseError('a key is listed twice (each key names one caller)');
  return keys;
}

/** The keys of a key file (RELAY_API_KEYS_FILE) as read at one moment. */
export interface KeyFile {
  readonly path: string;
  readonly keys: readonly CallerKey[];
}

/** A key file larger than this is refused: it is read whole at each change. */
export const KEY_FILE_MAX_BYTES = 1024 * 1024;

/** A key file's text: one `name:key` or `key` per line (or several, comma-separated, as in
 *  RELAY_API_KEYS); blank lines and lines starting with `#` are skipped. No message quotes the text. */
export function keyFileEntries(text: string): readonly CallerKey[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new ParseError('it holds no key (one name:key or key per line)');
  const entries = lines.flatMap((l) => l.split(',').map((k) => k.trim()));
  if (entries.some((k) => k === '' || /\s/.test(k))) throw new ParseError('expected one name:key or key per line, without spaces');
  return callerKeys(entries);
}

/** A path → its keys, read now (start-up fails with one line when it cannot be read or holds none). */
export const keyFile: Parser<KeyFile> = (path) => ({ path, keys: readKeyFile(path) });

/** Why a key file was refused: it could not be read (or is too large), or what it holds is no key list. */
export class KeyFileError extends ParseError {
  readonly kind: 'unreadable' | 'invalid';

  constructor(kind: 'unreadable' | 'invalid', message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Reads and parses a key file; throws KeyFileError saying why (never quoting its text). */
export function readKeyFile(path: string): readonly CallerKey[] {
  let text: string;
  try {
    if (statSync(path).size > KEY_FILE_MAX_BYTES) throw new KeyFileError('unreadable', `it is larger than ${KEY_FILE_MAX_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    throw new KeyFileError('unreadable', `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return keyFileEntries(text);
  } catch (err) {
    throw new KeyFileError('invalid', (err as Error).message);
  }
}

/** An HTTP header name (a token, RFC 9110), lower-cased as Node presents request headers. */
export const headerName: Parser<string> = (raw) => {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(raw)) throw new ParseError('expected an HTTP header name, e.g. x-caller');
  return raw.toLowerCase();
};

export const nonEmptyText: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new ParseError('expected a non-empty string');
  return raw;
};
