// One Node.js floor everywhere: the highest `engines.node` among the runtime dependencies in
// package-lock.json is what package.json's `engines` and src/node-version.ts require; and the
// npm scripts run on the Node 24 the `node` devDependency installs, whatever Node runs npm.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_FLOOR } from '../../src/server/node-version.ts';
import { root } from '../support/relay-process.ts';

const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as {
  packages: Record<string, { dev?: boolean; engines?: { node?: string }; name?: string }>;
};
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};

const lowerBound = (range: string): [number, number] | undefined => {
  const m = /^>=\s*(\d+)(?:\.(\d+))?/.exec(range.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : undefined;
};
const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];

describe('the Node.js floor', () => {
  it('package.json engines and node-version.ts equal the highest floor of the runtime dependencies', () => {
    const floors = Object.entries(lock.packages)
      .filter(([key, p]) => key !== '' && p.dev !== true && p.engines?.node !== undefined)
      .map(([key, p]) => ({ key, floor: lowerBound(p.engines!.node!) }))
      .filter((f): f is { key: string; floor: [number, number] } => f.floor !== undefined)
      .sort((a, b) => cmp(b.floor, a.floor));
    const highest = floors[0]!;
    expect(highest.floor, `highest: ${highest.key}`).toEqual([NODE_FLOOR.major, NODE_FLOOR.minor]);
    expect(lowerBound(pkg.engines.node)).toEqual([NODE_FLOOR.major, NODE_FLOOR.minor]);
    expect(lowerBound((lock.packages[''] as { engines: { node: string } }).engines.node)).toEqual([NODE_FLOOR.major, NODE_FLOOR.minor]);
  });

  it('npm scripts run on the pinned Node 24, from node_modules/.bin', () => {
    expect(pkg.devDependencies['node']).toMatch(/^\^24\./);
    expect(process.versions.node.split('.')[0]).toBe('24');
    const viaNpm = execFileSync('npm', ['exec', '--', 'node', '--version'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PATH: `/usr/bin:/bin:/usr/local/bin` },
    }).trim();
    expect(viaNpm).toMatch(/^v24\./);
  });
});
