// One copy of each OpenTelemetry SDK package: sdk-node pins exact versions, and the relay's direct
// dependencies are pinned to the same ones. Two copies of @opentelemetry/core meant two global error
// handlers (the relay's export warning never fired) and two SDKs in memory.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { root } from '../support/relay-process.ts';

/** Known and harmless: the contrib instrumentations (undici 0.34, runtime-node 0.37, the newest)
 *  ask for instrumentation ^0.300.0 while sdk-node 0.301 pins 0.301.0; it holds no global state. */
const ALLOWED_TWICE = new Set(['@opentelemetry/instrumentation']);

it('package-lock.json holds a single copy of each @opentelemetry package', () => {
  const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as { packages: Record<string, unknown> };
  const copies = new Map<string, string[]>();
  for (const key of Object.keys(lock.packages)) {
    const m = /node_modules\/(@opentelemetry\/[^/]+)$/.exec(key);
    if (m) copies.set(m[1]!, [...(copies.get(m[1]!) ?? []), key]);
  }
  expect(copies.size).toBeGreaterThan(10);
  expect([...copies].filter(([name, keys]) => keys.length > 1 && !ALLOWED_TWICE.has(name))).toEqual([]);
});
