// Which licences may enter the project's lockfile and the binaries its tests build. Permissive
// licences only; anything copyleft, source-available or unrecognised fails with the package's name.

/** SPDX ids (and licensecheck's ids for the same licences) that are allowed. */
export const ALLOWED = new Set([
  'Apache-2.0',
  'MIT',
  'MIT-0',
  'BSD-2-Clause',
  'BSD-2-Clause-Views',
  'BSD-3-Clause',
  'ISC',
  'MPL-2.0',
  '0BSD',
  'Zlib',
  'CC0-1.0',
  'Unlicense',
  'BlueOak-1.0.0',
  'Python-2.0',
  'UPL-1.0',
]);

/** Named so a failure says why: network copyleft, copyleft, source-available. */
const DENIED = /^(AGPL|GPL|LGPL|SSPL|BUSL|Elastic|Commons-Clause|CC-BY-NC)/i;

/**
 * Go modules this project must not build, require or run, whatever their files say: the machines'
 * package policy marks them not-to-use (AGPL-3.0). Users run these programs from their images.
 */
export const NOT_TO_USE = ['github.com/grafana/tempo', 'github.com/grafana/loki/v3', 'github.com/grafana/grafana'];
const notToUse = (module: string) => NOT_TO_USE.some((m) => module === m || module.startsWith(`${m}/`));

/**
 * Modules whose licence file is their project's whole-repository LICENSE, which appends the notices of
 * code bundled elsewhere in that repository: these extra permissive ids are accepted for them only,
 * beside the module's own allowed licence. Apache Arrow's Go module (in Ollama) carries Arrow's
 * LICENSE.txt: Apache-2.0, then the notices of Boost (BSL-1.0, the Boost licence, not BUSL), LLVM
 * (NCSA), HPND, OpenSSL and CC-BY-3.0 code in its C++ and other parts.
 */
export const BUNDLED_NOTICES: Record<string, string[]> = {
  'github.com/apache/arrow/go/arrow': ['BSL-1.0', 'NCSA', 'HPND', 'OpenSSL', 'CC-BY-3.0'],
};

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * An npm package's `license` (an SPDX expression, as the lockfile records it): allowed when some
 * choice of its OR branches uses allowed licences only. A 30-line reader instead of spdx-satisfies,
 * whose own dependency spdx-exceptions is CC-BY-3.0 (the gate would have to except its own tool).
 */
export function npmVerdict(expression: string | undefined): Verdict {
  if (expression === undefined || expression.trim() === '') return { ok: false, reason: 'no licence declared' };
  let tokens: string[];
  try {
    tokens = tokenize(expression);
    const pos = { i: 0 };
    const ok = orExpr(tokens, pos);
    if (pos.i !== tokens.length) throw new Error(`unexpected "${tokens[pos.i]}"`);
    if (ok) return { ok: true };
  } catch (err) {
    return { ok: false, reason: `not an SPDX expression: ${JSON.stringify(expression)} (${(err as Error).message})` };
  }
  const denied = tokens.filter((t) => DENIED.test(t));
  return { ok: false, reason: denied.length > 0 ? `${denied.join(', ')} is not allowed` : `${expression} is not on the allow-list` };
}

function tokenize(s: string): string[] {
  return s.replace(/[()]/g, ' $& ').split(/\s+/).filter(Boolean);
}
function orExpr(t: string[], p: { i: number }): boolean {
  let ok = andExpr(t, p);
  while (t[p.i]?.toUpperCase() === 'OR') {
    p.i++;
    ok = andExpr(t, p) || ok;
  }
  return ok;
}
function andExpr(t: string[], p: { i: number }): boolean {
  let ok = atom(t, p);
  while (t[p.i]?.toUpperCase() === 'AND') {
    p.i++;
    ok = atom(t, p) && ok;
  }
  return ok;
}
function atom(t: string[], p: { i: number }): boolean {
  const tok = t[p.i++];
  if (tok === undefined) throw new Error('unexpected end');
  if (tok === '(') {
    const ok = orExpr(t, p);
    if (t[p.i++] !== ')') throw new Error('missing )');
    return ok;
  }
  if (!/^[A-Za-z0-9.+-]+$/.test(tok) || /^(AND|OR|WITH)$/i.test(tok)) throw new Error(`unexpected "${tok}"`);
  if (t[p.i]?.toUpperCase() === 'WITH') p.i += 2; // an exception only widens what the licence allows
  return ALLOWED.has(tok.replace(/\+$/, ''));
}

const DOCS_LICENCE = /^licen[cs]e[._-]docs?$/i;

export interface ScannedModule {
  binary: string;
  module: string;
  version: string;
  files: { name: string; ids: string[]; percent: number }[] | null;
  error?: string;
}

/**
 * A Go module, from what licensecheck found in its licence files: allowed when it found at least
 * one licence and every licence it found is allowed (a file that concatenates licences, such as
 * Apache-2.0 with a BSD-3-Clause notice, needs both to be allowed).
 */
export function goVerdict(m: ScannedModule): Verdict {
  if (notToUse(m.module)) return { ok: false, reason: 'not-to-use (AGPL-3.0, package policy of these machines)' };
  if (m.error) return { ok: false, reason: `could not read its source: ${m.error}` };
  // A licence for the documentation (e.g. go-digest's LICENSE.docs, CC-BY-SA-4.0) covers no code.
  const codeFiles = (m.files ?? []).filter((f) => !DOCS_LICENCE.test(f.name));
  const ids = [...new Set(codeFiles.flatMap((f) => f.ids))];
  if (ids.length === 0) {
    const files = codeFiles.map((f) => f.name);
    return { ok: false, reason: files.length === 0 ? 'no LICENSE file' : `licence not recognised in ${files.join(', ')}` };
  }
  const denied = ids.filter((id) => DENIED.test(id));
  if (denied.length > 0) return { ok: false, reason: `${denied.join(', ')} is not allowed` };
  const notices = BUNDLED_NOTICES[m.module] ?? [];
  if (notices.length > 0 && !ids.some((id) => ALLOWED.has(id)))
    return { ok: false, reason: `${ids.join(', ')}: no allowed licence of its own` };
  const unknown = ids.filter((id) => !ALLOWED.has(id) && !notices.includes(id));
  if (unknown.length > 0) return { ok: false, reason: `${unknown.join(', ')} is not on the allow-list` };
  return { ok: true };
}

/** An npm lockfile (package-lock.json v2+): every installed package by its path. */
export interface NpmLock {
  packages: Record<string, { license?: string; version?: string }>;
}

/** Every package a lockfile installs, judged by npmVerdict: one line per package not allowed
 *  (name@version, its path, why), and how many packages carry each licence. */
export function npmLockVerdicts(lock: NpmLock): { packages: number; licences: Map<string, number>; failures: string[] } {
  const licences = new Map<string, number>();
  const failures: string[] = [];
  const installed = Object.entries(lock.packages).filter(([key]) => key !== '');
  for (const [key, pkg] of installed) {
    const name = key.replace(/^.*node_modules\//, '');
    const licence = pkg.license ?? '(none)';
    licences.set(licence, (licences.get(licence) ?? 0) + 1);
    const verdict = npmVerdict(pkg.license);
    if (!verdict.ok) failures.push(`npm ${name}@${pkg.version ?? '?'} (${key}): ${verdict.reason}`);
  }
  return { packages: installed.length, licences, failures };
}
