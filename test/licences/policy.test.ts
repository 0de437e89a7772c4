// The licence policy the gate (test/licences/gate.ts, run by .ci/run) applies to npm packages and
// Go modules.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { root } from '../support/relay-process.ts';
import { goVerdict, NOT_TO_USE, npmVerdict, type ScannedModule } from '../support/licence-policy.ts';

const mod = (ids: string[][], extra: Partial<ScannedModule> = {}): ScannedModule => ({
  binary: '/cache/bin/jaeger-abc',
  module: 'example.com/m',
  version: 'v1.0.0',
  files: ids.map((i, n) => ({ name: `LICENSE${n || ''}`, ids: i, percent: 99 })),
  ...extra,
});

describe('licence policy', () => {
  it.each([
    'MIT',
    'Apache-2.0',
    '(MIT AND Zlib)',
    'MIT OR GPL-3.0-only',
    '(GPL-2.0-only OR MIT) AND BSD-3-Clause',
    'Apache-2.0 WITH LLVM-exception',
    'mit'.toUpperCase(),
  ])('npm %s is allowed', (expr) => {
    expect(npmVerdict(expr)).toEqual({ ok: true });
  });

  it.each([
    ['AGPL-3.0-only', /AGPL-3.0-only is not allowed/],
    ['GPL-2.0-or-later', /GPL-2.0-or-later is not allowed/],
    ['SSPL-1.0', /SSPL-1.0 is not allowed/],
    ['BUSL-1.1', /BUSL-1.1 is not allowed/],
    ['MIT AND AGPL-3.0-or-later', /AGPL-3.0-or-later is not allowed/],
    ['CC-BY-4.0', /not on the allow-list/],
    ['SEE LICENSE IN LICENSE.md', /not an SPDX expression/],
    ['(MIT', /not an SPDX expression/],
    [undefined, /no licence declared/],
  ])('npm %s fails: %s', (expr, reason) => {
    const v = npmVerdict(expr);
    expect(v.ok).toBe(false);
    expect(v.ok ? '' : v.reason).toMatch(reason);
  });

  it('a Go module passes when every licence found in its files is allowed', () => {
    expect(goVerdict(mod([['Apache-2.0', 'BSD-3-Clause']]))).toEqual({ ok: true });
    expect(goVerdict(mod([['MIT'], ['Apache-2.0']]))).toEqual({ ok: true });
  });

  it('bundled-code notices pass only for the module listed with them, beside an allowed licence, never a denied one', () => {
    const arrow = { module: 'github.com/apache/arrow/go/arrow' };
    const notices = ['Apache-2.0', 'BSL-1.0', 'CC-BY-3.0', 'HPND', 'MIT', 'NCSA', 'OpenSSL'];
    expect(goVerdict(mod([notices], arrow))).toEqual({ ok: true });
    expect(goVerdict(mod([notices]))).toEqual({ ok: false, reason: 'BSL-1.0, CC-BY-3.0, HPND, NCSA, OpenSSL is not on the allow-list' });
    expect(goVerdict(mod([['BSL-1.0', 'NCSA']], arrow))).toEqual({ ok: false, reason: 'BSL-1.0, NCSA: no allowed licence of its own' });
    expect(goVerdict(mod([[...notices, 'GPL-2.0']], arrow))).toEqual({ ok: false, reason: 'GPL-2.0 is not allowed' });
    expect(goVerdict(mod([['Apache-2.0', 'CC-BY-SA-4.0']], arrow))).toEqual({ ok: false, reason: 'CC-BY-SA-4.0 is not on the allow-list' });
  });

  it('a Go module fails on AGPL, GPL or LGPL, on an unknown licence, and without a licence file', () => {
    expect(goVerdict(mod([['AGPL-3.0']]))).toEqual({ ok: false, reason: 'AGPL-3.0 is not allowed' });
    expect(goVerdict(mod([['Apache-2.0'], ['GPL-2.0']]))).toEqual({ ok: false, reason: 'GPL-2.0 is not allowed' });
    expect(goVerdict(mod([['LGPL-3.0']]))).toEqual({ ok: false, reason: 'LGPL-3.0 is not allowed' });
    expect(goVerdict(mod([['CC-BY-SA-4.0']]))).toEqual({ ok: false, reason: 'CC-BY-SA-4.0 is not on the allow-list' });
    expect(goVerdict(mod([[]]))).toEqual({ ok: false, reason: 'licence not recognised in LICENSE' });
    expect(goVerdict(mod([]))).toEqual({ ok: false, reason: 'no LICENSE file' });
    expect(goVerdict(mod([['MIT']], { error: 'not found' }))).toEqual({ ok: false, reason: 'could not read its source: not found' });
  });

  it('a not-to-use module fails even when its files name an allowed licence', () => {
    expect(goVerdict(mod([['Apache-2.0']], { module: 'github.com/grafana/loki/v3' }))).toEqual({
      ok: false,
      reason: 'not-to-use (AGPL-3.0, package policy of these machines)',
    });
    expect(goVerdict(mod([['Apache-2.0']], { module: 'github.com/grafana/tempo/pkg/x' })).ok).toBe(false);
    expect(goVerdict(mod([['Apache-2.0']], { module: 'github.com/grafana/pyroscope-go' })).ok).toBe(true);
  });

  it('no go.mod or go.sum in the repository names a not-to-use module', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*go.mod', '*go.sum'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => f !== '' && existsSync(`${root}${f}`));
    expect(files.length).toBeGreaterThanOrEqual(6); // jaeger-build, victorialogs-build, licence-scan
    for (const f of files) {
      const text = readFileSync(`${root}${f}`, 'utf8');
      for (const m of NOT_TO_USE) expect(text.includes(`${m} `) || text.includes(`${m}/`), `${f} names ${m}`).toBe(false);
    }
  });

  it('a documentation licence file (LICENSE.docs) does not decide for the code', () => {
    const m: ScannedModule = {
      ...mod([]),
      files: [
        { name: 'LICENSE', ids: ['Apache-2.0'], percent: 99 },
        { name: 'LICENSE.docs', ids: ['CC-BY-SA-4.0'], percent: 99 },
      ],
    };
    expect(goVerdict(m)).toEqual({ ok: true });
    expect(goVerdict({ ...m, files: [{ name: 'LICENSE.docs', ids: ['CC-BY-SA-4.0'], percent: 99 }] })).toEqual({
      ok: false,
      reason: 'no LICENSE file',
    });
  });
});
