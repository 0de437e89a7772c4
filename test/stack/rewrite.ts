// THE one place where the stack tests change the repository's own config files: hostnames, ports
// and data paths only (docker-compose service names → 127.0.0.1, fixed ports → free ones, volume
// paths → temp dirs). Every key must occur, so a renamed host, port or flag in a config fails the
// test instead of being missed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../support/relay-process.ts';

const HOST_PORT = /^[\w.-]*:?\s?[\w.-]*$/;

export function rewriteHostsAndPorts(text: string, replacements: Record<string, string>, file: string): string {
  let out = text;
  for (const [from, to] of Object.entries(replacements)) {
    if (!HOST_PORT.test(from) || !HOST_PORT.test(to)) {
      throw new Error(
        `rewrite ${JSON.stringify(from)} → ${JSON.stringify(to)}: only host[:port] or "key: value" host/port pairs may change`,
      );
    }
    if (!out.includes(from)) throw new Error(`${file}: expected to find ${JSON.stringify(from)} to rewrite`);
    out = out.split(from).join(to);
  }
  return out;
}

const VLLM_DISCOVERY = "dns_sd_configs:\n      - names: ['vllm']\n        type: A\n        port: 8000";

/** The one change that is not a host or port: the vllm scrape job finds vLLM by DNS (the compose
 *  service name), which has no answer here, so it gets the test's vLLM as a static target. */
export function vllmStaticTarget(text: string, target: string, file: string): string {
  if (!text.includes(VLLM_DISCOVERY)) throw new Error(`${file}: expected the vllm job's DNS discovery to rewrite`);
  return text.replace(VLLM_DISCOVERY, `static_configs:\n      - targets: ['${target}']`);
}

/** The repository's `file`, rewritten as above, written to `to` (for the program to read). */
export function writeRewritten(file: string, to: string, replacements: Record<string, string>, vllmTarget?: string): void {
  const text = rewriteHostsAndPorts(readFileSync(join(root, file), 'utf8'), replacements, file);
  writeFileSync(to, vllmTarget === undefined ? text : vllmStaticTarget(text, vllmTarget, file));
}

/**
 * Command-line flags of a program (e.g. VictoriaLogs' in docker-compose.apache.yml): the value of
 * each named flag (`-name=value`) is replaced; every other flag is kept as written.
 */
export function rewriteFlags(args: readonly string[], values: Record<string, string>, file: string): string[] {
  const out = [...args];
  for (const [flag, value] of Object.entries(values)) {
    const i = out.findIndex((a) => a.startsWith(`${flag}=`));
    if (i < 0) throw new Error(`${file}: expected the flag ${flag}=… to rewrite`);
    out[i] = `${flag}=${value}`;
  }
  return out;
}
