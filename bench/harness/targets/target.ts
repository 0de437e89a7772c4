// What every bench target is: a name, an origin to send load to, its process, and how to stop it;
// and what the runner hands each one to start (TargetSetup).
import { fileURLToPath } from 'node:url';
import type { Child } from '../../../test/support/child.ts';
import { nodeFlags } from '../../../test/support/node-flags.ts';
import type { LoopProbe } from '../loop-delay.ts';

export const TARGET_NAMES = ['direct', 'nginx', 'node-floor', 'relay', 'relay-before', 'relay-otel-off', 'portkey', 'litellm'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface Target {
  name: TargetName;
  /** http://127.0.0.1:port */
  origin: string;
  /** The proxy process (none for direct). */
  child: Child | undefined;
  /** Prometheus endpoint (the relay with telemetry, LiteLLM). */
  metricsUrl: string | undefined;
  /** The relay's event-loop delay per phase (both relay targets). */
  loopProbe?: LoopProbe;
  /** Too slow for the (d) fixed rates (LiteLLM, Portkey). */
  slow?: boolean;
  /** Headers every request to it carries besides the scenario's (Portkey's routing headers). */
  headers?: Record<string, string>;
  stop(): Promise<void>;
}

export interface TargetSetup {
  upstreamPort: number;
  nginx: string | undefined;
  /** One sink port per relay target, so each one's telemetry is counted apart. */
  sinkPorts: Record<string, number>;
  /** Extra node flags for the relay, before its --import (the soak's --inject-leak uses this). */
  relayNodeArgs?: string[];
  /** Environment changes for the relay (bench/proxy/tail.ts): a value sets, undefined removes. */
  relayEnv?: Record<string, string | undefined>;
  /** Another checkout whose dist/ the relay runs from (bench/proxy/tail.ts --before DIR). */
  relayRoot?: string;
  /** The checkout the relay-before target runs from (npm run bench -- --before DIR). */
  beforeRoot?: string;
}

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The V8 flags the relay ships with, of this checkout or another one's. */
export const relayNodeFlags = (root = ROOT): string[] => nodeFlags(root);
