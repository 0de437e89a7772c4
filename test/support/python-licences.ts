// Copyleft licences may not enter the project's lockfiles or test programs (a suite's
// requirements.lock is one). Python metadata is free text, so this is a deny-list over
// License-Expression, License and the licence classifiers of every package in a venv.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const COPYLEFT = /\b(A?GPL|LGPL|SSPL|BUSL)\b|GNU (Affero |Lesser |Library )?General Public|Server Side Public|Business Source/i;

/** The venv's packages and, of those, the ones whose metadata names a copyleft licence. */
export function copyleftPackages(venv: string): { packages: number; offenders: string[] } {
  const lib = join(venv, 'lib');
  const site = join(lib, readdirSync(lib).find((d) => d.startsWith('python'))!, 'site-packages');
  const infos = readdirSync(site).filter((d) => d.endsWith('.dist-info'));
  const offenders = infos.flatMap((d) => {
    const meta = readFileSync(join(site, d, 'METADATA'), 'utf8').split('\n\n')[0]!;
    const fields = meta.split('\n').filter((l) => /^(License-Expression|License|Classifier: License)\b/.test(l));
    return fields.some((f) => COPYLEFT.test(f)) ? [`${d}: ${fields.join(' | ')}`] : [];
  });
  return { packages: infos.length, offenders };
}
