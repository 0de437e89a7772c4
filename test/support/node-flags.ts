// The V8 flags the relay ships with: package.json's config.nodeFlags (the Dockerfile, bin/ and
// `npm start` carry the same; test/deploy/node-flags.test.ts keeps them equal), as node arguments.
import { readFileSync } from 'node:fs';

/** config.nodeFlags of the checkout at `root` (a path ending in /). */
export const nodeFlags = (root: string): string[] =>
  ((JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { config?: { nodeFlags?: string } }).config?.nodeFlags ?? '')
    .split(' ')
    .filter(Boolean);
