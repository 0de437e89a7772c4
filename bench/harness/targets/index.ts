// The things measured side by side, one file each: the upstream itself (direct, the floor), nginx,
// a bare Node.js pass-through (node-floor: the floor of any relay built on Node), the relay with
// full telemetry, the relay with OTEL_SDK_DISABLED, the Portkey gateway and LiteLLM.
import { startLitellm } from './litellm.ts';
import { startNginx } from './nginx.ts';
import { startNodeFloor } from './node-floor.ts';
import { startPortkey } from './portkey.ts';
import { startRelay } from './relay.ts';
import type { Target, TargetName, TargetSetup } from './target.ts';

export { relayNodeFlags, TARGET_NAMES, type Target, type TargetName, type TargetSetup } from './target.ts';

export async function startTarget(name: TargetName, setup: TargetSetup): Promise<Target> {
  const upstream = `http://127.0.0.1:${setup.upstreamPort}`;
  switch (name) {
    case 'direct':
      return { name, origin: upstream, child: undefined, metricsUrl: undefined, stop: async () => {} };
    case 'nginx':
      return startNginx(setup.nginx!, setup.upstreamPort);
    case 'node-floor':
      return startNodeFloor(upstream);
    case 'relay':
    case 'relay-otel-off':
      return startRelay(name, upstream, setup.sinkPorts[name]!, setup.relayNodeArgs ?? [], setup.relayEnv, setup.relayRoot);
    case 'relay-before':
      return startRelay(name, upstream, setup.sinkPorts[name]!, [], {}, setup.beforeRoot);
    case 'portkey':
      return startPortkey(upstream);
    case 'litellm':
      return startLitellm(upstream, `http://127.0.0.1:${setup.sinkPorts['litellm']}`);
  }
}
