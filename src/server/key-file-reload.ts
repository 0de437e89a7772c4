// RELAY_API_KEYS_FILE while the relay runs: re-read when it changes (checked every
// RELAY_API_KEYS_FILE_POLL_MS) and on SIGHUP, and its keys swapped into the inbound auth in one
// step (relay/auth.ts). Nothing is closed: open connections stay open, requests already let in go
// on, the next request is checked against the new keys. A file that cannot be read, or that holds
// no valid key list, is refused: the keys in use stay, and the refusal is a log line and a count
// (embedding_relay_key_file_reloads_total{error_type}), so a bad edit never locks every caller out.
//
// Polling (fs.watchFile: a stat per interval) rather than fs.watch: a Kubernetes Secret volume
// updates by swapping a symlink two levels up, which inotify on the file's path does not report,
// and a stat follows the link to whatever it points at now.
import { createHash } from 'node:crypto';
import { type StatWatcher, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { type CallerKey, KeyFileError, readKeyFile } from '../config/parsers.ts';
import type { InboundAuth } from '../relay/auth.ts';
import { keyFileReloads } from '../telemetry/metrics.ts';

export interface KeyFileReloadOptions {
  path: string;
  /** The keys read at start-up. */
  keys: readonly CallerKey[];
  auth: InboundAuth;
  /** 0: on SIGHUP only. */
  pollMs: number;
  logger: Logger;
}

export type ReloadTrigger = 'change' | 'SIGHUP';

export class KeyFileReload {
  readonly #opts: KeyFileReloadOptions;
  readonly #count = keyFileReloads();
  /** What the keys in use were read from, to tell a real change from a touch. */
  #current: string;
  #watcher: StatWatcher | undefined;
  readonly #onSignal = () => this.reload('SIGHUP');

  constructor(opts: KeyFileReloadOptions) {
    this.#opts = opts;
    this.#current = fingerprint(opts.keys);
  }

  /** Watches the file and listens for SIGHUP until `stop`. */
  start(): void {
    process.on('SIGHUP', this.#onSignal);
    if (this.#opts.pollMs > 0) {
      this.#watcher = watchFile(this.#opts.path, { interval: this.#opts.pollMs, persistent: false }, () => this.reload('change'));
    }
  }

  stop(): void {
    process.off('SIGHUP', this.#onSignal);
    if (this.#watcher) unwatchFile(this.#opts.path);
    this.#watcher = undefined;
  }

  /** Reads the file now; takes its keys if they differ from those in use. Never throws. */
  reload(trigger: ReloadTrigger): void {
    const { logger, path } = this.#opts;
    let keys: readonly CallerKey[];
    try {
      keys = readKeyFile(path);
    } catch (err) {
      const kind = err instanceof KeyFileError ? err.kind : 'unreadable';
      this.#count(kind);
      logger.error(
        { event: 'api_keys_reload_failed', file: path, trigger, error_type: kind, error_message: (err as Error).message },
        'RELAY_API_KEYS_FILE refused; the keys in use stay',
      );
      return;
    }
    const print = fingerprint(keys);
    // A SIGHUP always counts as a reload asked for; a stat change with the same keys (a touch, a
    // copy of the same file) is none.
    if (print === this.#current && trigger === 'change') return;
    this.#current = print;
    this.#opts.auth.replace(keys);
    this.#count(undefined);
    const named = new Set(keys.flatMap((k) => (k.caller === undefined ? [] : [k.caller])));
    logger.info(
      { event: 'api_keys_reloaded', file: path, trigger, keys: keys.length, callers: [...named].sort() },
      'RELAY_API_KEYS_FILE re-read',
    );
  }
}

/** What a key list is, as a digest: two reads with the same keys and names have the same one, and
 *  no key is kept in the clear beside the auth's digests. */
function fingerprint(keys: readonly CallerKey[]): string {
  return createHash('sha256')
    .update(JSON.stringify(keys.map((k) => [k.caller ?? null, k.key])), 'utf8')
    .digest('base64');
}
