// The node-floor target: a bare Node.js pass-through (test/support/node-floor-proxy.ts, shared with the CPU guard test/perf/) started with the
// relay's node flags, the floor of any relay built on Node.
import { startChild } from '../../../test/support/child.ts';
import { freePort, waitForPort } from '../../../test/support/port.ts';
import { cleanEnv } from '../clean-env.ts';
import { ROOT, relayNodeFlags, type Target } from './target.ts';

export async function startNodeFloor(upstream: string, root = ROOT): Promise<Target> {
  const port = await freePort();
  const child = startChild(
    'node-floor',
    process.execPath,
    [...relayNodeFlags(root), `${root}test/support/node-floor-proxy.ts`, upstream, String(port)],
    cleanEnv(),
  );
  try {
    await waitForPort(port, child.running);
  } catch (err) {
    await child.stop();
    throw new Error(`node-floor did not start: ${(err as Error).message}\n${child.stderrTail().trim()}`);
  }
  return { name: 'node-floor', origin: `http://127.0.0.1:${port}`, child, metricsUrl: undefined, stop: () => child.stop() };
}
