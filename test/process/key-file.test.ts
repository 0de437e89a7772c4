// RELAY_API_KEYS_FILE changed under a running relay process: while requests stream on kept-alive
// connections, the file is replaced (written aside and renamed over, as a Secret volume or a
// config tool does): the new key works, the removed one gets 401, and no request of the stream
// fails. A broken edit keeps the keys in use; with polling off, SIGHUP alone re-reads the file.
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheusText, total } from '../support/prometheus-text.ts';
import { jsonLines, type RelayProcess, startRelayProcess } from '../support/relay-process.ts';

const OLD = 'sk-search-old-3b9d1e';
const NEW = 'sk-search-new-a47c02';
const KEEP = 'sk-ingest-keep-5e18f6';

let relay: RelayProcess | undefined;
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

/** Waits for `cond` (checked every 50 ms) or fails saying what it waited for. */
async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes the file aside and renames it over the old one: a reader sees the old text or the new. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

const call = async (url: string, key: string) => {
  try {
    const res = await fetch(`${url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-keyfile', input: ['a b', 'c'], dimensions: 8 }),
    });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    return `failed: ${String((err as Error).cause ?? err)}`;
  }
};

const reloads = async (p: RelayProcess) => {
  const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
  const samples = parsePrometheusText(text);
  return {
    taken: samples
      .filter((s) => s.name === 'embedding_relay_key_file_reloads_total' && s.labels['error_type'] === undefined)
      .reduce((n, s) => n + s.value, 0),
    invalid: total(samples, 'embedding_relay_key_file_reloads_total', { error_type: 'invalid' }),
  };
};

describe('RELAY_API_KEYS_FILE while the relay runs', () => {
  it('a change is taken while requests run: the new key works, the removed one gets 401, none of the stream fails', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'relay-keys-')), 'keys');
    writeFileSync(file, `# callers\nsearch:${OLD}\ningest:${KEEP}\n`);
    relay = await startRelayProcess({
      RELAY_API_KEYS_FILE: file,
      RELAY_API_KEYS_FILE_POLL_MS: '200',
      RELAY_SIMULATOR_LATENCY_MS: '20',
      OTEL_TRACES_EXPORTER: 'none',
    });
    const p = relay;
    expect(p.out.stderr).toContain(`Inbound auth: 2 key(s) from RELAY_API_KEYS_FILE (${file}, re-read on change and SIGHUP)`);
    expect(await call(p.url, OLD)).toBe(200);

    // The stream: 6 workers calling with the key that stays, on kept-alive connections, until told to stop.
    let streaming = true;
    const statuses: (number | string)[] = [];
    const workers = Array.from({ length: 6 }, async () => {
      while (streaming) statuses.push(await call(p.url, KEEP));
    });
    await until(() => statuses.length >= 30, 10_000, 'the stream under way');
    const before = statuses.length;
    replaceFile(file, `ingest:${KEEP}\nsearch:${NEW}\n`);
    await until(async () => (await call(p.url, NEW)) === 200, 5_000, 'the new key to work');
    expect(await call(p.url, OLD)).toBe(401);
    const swappedAt = statuses.length;
    await until(() => statuses.length >= swappedAt + 30, 10_000, 'the stream after the change');
    streaming = false;
    await Promise.all(workers);

    expect(before).toBeGreaterThan(0);
    expect(statuses.length).toBeGreaterThan(swappedAt);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const ingest = () => jsonLines(p.out.stdout).filter((l) => l['event'] === 'embedding_request' && l['caller'] === 'ingest');
    await until(() => ingest().length >= statuses.length, 5_000, "the stream's log lines");
    const lines = jsonLines(p.out.stdout);
    expect(lines.find((l) => l['event'] === 'api_keys_reloaded')).toMatchObject({
      trigger: 'change',
      keys: 2,
      callers: ['ingest', 'search'],
      file,
    });
    // Who called is in the request lines by name; a refused key names nobody.
    expect(ingest().length).toBe(statuses.length);
    expect(lines.filter((l) => l['http_status'] === 401).every((l) => l['caller'] === undefined)).toBe(true);
    expect((await reloads(p)).taken).toBe(1);

    // A broken edit (a key with a space in it) is refused: the keys in use stay.
    replaceFile(file, `search:${NEW} oops\n`);
    await until(() => jsonLines(p.out.stdout).some((l) => l['event'] === 'api_keys_reload_failed'), 5_000, 'the refusal');
    expect(jsonLines(p.out.stdout).find((l) => l['event'] === 'api_keys_reload_failed')).toMatchObject({
      trigger: 'change',
      error_type: 'invalid',
      level: 50,
    });
    expect([await call(p.url, NEW), await call(p.url, KEEP)]).toEqual([200, 200]);
    expect(await reloads(p)).toEqual({ taken: 1, invalid: 1 });
    for (const key of [OLD, NEW, KEEP]) expect(p.out.stdout + p.out.stderr).not.toContain(key);
  }, 60_000);

  it('with polling off, SIGHUP re-reads the file (and nothing else does)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'relay-keys-')), 'keys');
    writeFileSync(file, `search:${OLD}\n`);
    relay = await startRelayProcess({ RELAY_API_KEYS_FILE: file, RELAY_API_KEYS_FILE_POLL_MS: '0', OTEL_TRACES_EXPORTER: 'none' });
    const p = relay;
    replaceFile(file, `search:${NEW}\n`);
    await new Promise((r) => setTimeout(r, 1_500));
    expect([await call(p.url, OLD), await call(p.url, NEW)]).toEqual([200, 401]);
    p.child.kill('SIGHUP');
    await until(() => jsonLines(p.out.stdout).some((l) => l['event'] === 'api_keys_reloaded'), 5_000, 'the reload');
    expect(jsonLines(p.out.stdout).find((l) => l['event'] === 'api_keys_reloaded')).toMatchObject({ trigger: 'SIGHUP', keys: 1 });
    expect([await call(p.url, OLD), await call(p.url, NEW)]).toEqual([401, 200]);
    expect(p.child.exitCode).toBeNull(); // SIGHUP re-reads; it does not end the relay
  }, 30_000);
});
