// The Portkey gateway (@portkey-ai/gateway, MIT; Hono on Node.js) as a bench target: the TypeScript
// gateway users would pick on the same runtime, run as its README says (`start-server.js --headless`),
// installed by bench/portkey/setup.sh into ~/.cache/embedding-relay. Each request names the
// upstream in Portkey's headers (provider openai, custom host the bench's upstream) and asks it to
// forward x-bench-scenario. It records no metrics and exports no spans.
import { spawnSync } from 'node:child_process';
import { startChild } from '../../../test/support/child.ts';
import { freePort, waitForPort } from '../../../test/support/port.ts';
import { cleanEnv } from '../clean-env.ts';
import { SCENARIO_HEADER } from '../scenario.ts';
import { ROOT, type Target } from './target.ts';

/** Installs the gateway when missing (its progress on our stderr) and returns its directory. */
function portkeyDir(): string {
  const setup = spawnSync('bash', [`${ROOT}bench/portkey/setup.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const dir = setup.stdout?.trim().split('\n').at(-1);
  if (setup.status !== 0 || !dir)
    throw new Error(`bench/portkey/setup.sh failed (${setup.error?.message ?? `exit ${setup.status ?? setup.signal}`})`);
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
