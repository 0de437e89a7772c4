// The Portkey gateway (@portkey-ai/gateway, MIT; Hono on Node.js) as a bench target: the TypeScript
// gateway users would pick on the same runtime, run as its README says (`start-server.js --headless`),
// installed by bench/portkey/setup.sh into ~/.cache/embedding-relay, never into the repo's
// lockfile, and held to the project's npm licence policy (test/support/licence-policy.ts) before it
// runs. Each request names the upstream in Portkey's headers (provider openai, custom host the
// bench's upstream) and asks it to forward x-bench-scenario. It records no metrics and exports no spans.
import { readFileSync } from 'node:fs';
import { startChild } from '../../../test/support/child.ts';
import { type NpmLock, npmLockVerdicts } from '../../../test/support/licence-policy.ts';
import { freePort, waitForPort } from '../../../test/support/port.ts';
import { cleanEnv } from '../clean-env.ts';
import { provisioned } from '../provisioned.ts';
import { SCENARIO_HEADER } from '../scenario.ts';
import { ROOT, type Target } from './target.ts';

/** Packages of the install whose lockfile `license` is no SPDX expression, each checked by hand:
 *  name@version, and what its licence is. */
const NOT_SPDX: Record<string, string> = {
  // Douglas Crockford's JSON code (via json-stable-stringify); no LICENSE file.
  'jsonify@0.0.1': 'public domain',
};

/** The gateway's install (made when missing), every package of it on the allow-list or in NOT_SPDX. */
function portkeyDir(): string {
  const dir = provisioned(`${ROOT}bench/portkey/setup.sh`);
  const { failures } = npmLockVerdicts(JSON.parse(readFileSync(`${dir}/package-lock.json`, 'utf8')) as NpmLock);
  const refused = failures.filter((f) => !Object.keys(NOT_SPDX).some((pkg) => f.startsWith(`npm ${pkg} `)));
  if (refused.length > 0) throw new Error(`portkey: licences not allowed in ${dir}:\n  ${refused.join('\n  ')}`);
  return dir;
}

export async function startPortkey(upstreamOrigin: string): Promise<Target> {
  const dir = portkeyDir();
  const port = await freePort();
  const child = startChild(
    'portkey',
    process.execPath,
    [`${dir}/node_modules/@portkey-ai/gateway/build/start-server.js`, `--port=${port}`, '--headless'],
    { ...cleanEnv(), NODE_ENV: 'production' },
    { cwd: dir },
  );
  try {
    await waitForPort(port, child.running);
  } catch (err) {
    await child.stop();
    throw new Error(`portkey did not start: ${(err as Error).message}\n${child.stderrTail().trim()}`);
  }
  return {
    name: 'portkey',
    origin: `http://127.0.0.1:${port}`,
    child,
    metricsUrl: undefined,
    headers: {
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${upstreamOrigin}/v1`,
      'x-portkey-forward-headers': SCENARIO_HEADER,
      authorization: 'Bearer bench',
    },
    // A few hundred requests a second at most: the (d) fixed rates would only measure its queue.
    slow: true,
    stop: () => child.stop(),
  };
}
