// The V8 flags the relay ships with are written once (package.json config.nodeFlags; why they are
// what they are: docs/performance.md) and every way of starting the relay carries exactly them:
// the image's ENTRYPOINT, the installed bin's shebang, `npm start`, and the bench's relay targets
// (bench/harness/targets/ reads config.nodeFlags itself).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const pkg = JSON.parse(read('package.json')) as { config: { nodeFlags: string }; scripts: Record<string, string> };
const flags = pkg.config.nodeFlags;

it('config.nodeFlags holds V8 flags', () => {
  expect(flags).toMatch(/^(--[a-z-]+=\d+)( --[a-z-]+=\d+)*$/);
});

it('the Dockerfile ENTRYPOINT starts node with exactly these flags', () => {
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'));
  const argv = JSON.parse(entry![1]!) as string[];
  expect(argv.slice(0, argv.indexOf('--import'))).toEqual(['node', ...flags.split(' ')]);
});

it("bin/embedding-relay.js's shebang and `npm start` carry them", () => {
  expect(read('bin/embedding-relay.js').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
  expect(pkg.scripts['start']).toContain(`node ${flags} --import ./dist/instrument.js dist/main.js`);
});
