// licence-scan (the gate's Go half) on real binaries built here: a program linking a module whose
// licence file is the GPL-3.0 (Debian's /usr/share/common-licenses) is refused, the same program
// linking an Apache-2.0 module passes. Needs Go, as the gate does; nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goModuleBinary } from '../stack/services.ts';
import { goVerdict, type ScannedModule } from '../support/licence-policy.ts';

/** Builds `main` linking `example.com/dep` (a local module whose LICENSE is `licenceFile`). */
function demoBinary(licenceFile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'licence-demo-'));
  mkdirSync(join(dir, 'dep'));
  mkdirSync(join(dir, 'main'));
  writeFileSync(join(dir, 'dep', 'go.mod'), 'module example.com/dep\n\ngo 1.22\n');
  writeFileSync(join(dir, 'dep', 'dep.go'), 'package dep\n\nfunc Answer() int { return 42 }\n');
  copyFileSync(licenceFile, join(dir, 'dep', 'LICENSE'));
  writeFileSync(
    join(dir, 'main', 'go.mod'),
    `module example.com/main\n\ngo 1.22\n\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ${join(dir, 'dep')}\n`,
  );
  writeFileSync(join(dir, 'main', 'main.go'), 'package main\n\nimport "example.com/dep"\n\nfunc main() { println(dep.Answer()) }\n');
  execFileSync('go', ['build', '-o', join(dir, 'demo'), '.'], {
    cwd: join(dir, 'main'),
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
    stdio: 'pipe',
  });
  return join(dir, 'demo');
}

const scan = (bin: string): ScannedModule[] => {
  const scanner = goModuleBinary('../licences/licence-scan', 'licence-scan', '.');
  return execFileSync(scanner, [bin], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ScannedModule);
};

describe('licence-scan on built binaries', { timeout: 180_000 }, () => {
  it('refuses a binary that links a GPL-3.0 module, naming the module', () => {
    const [dep] = scan(demoBinary('/usr/share/common-licenses/GPL-3'));
    expect(dep!.module).toBe('example.com/dep');
    expect(dep!.files!.map((f) => f.ids)).toEqual([['GPL-3.0']]);
    expect(goVerdict(dep!)).toEqual({ ok: false, reason: 'GPL-3.0 is not allowed' });
  });

  it('passes the same binary when the module is Apache-2.0', () => {
    const [dep] = scan(demoBinary('/usr/share/common-licenses/Apache-2.0'));
    expect(dep!.files!.map((f) => f.ids)).toEqual([['Apache-2.0']]);
    expect(goVerdict(dep!)).toEqual({ ok: true });
  });
});
