// A relay process at its memory budget's bound on cue, for the tests of what clients see there:
// a 4 MiB budget, no queue, Retry-After 1, in front of an upstream that answers in `holdMs`.
// `hold()` sends a batch that takes all the room large requests may use until the upstream answers;
// `heldNow()` resolves once /metrics shows it held, so a large request sent then gets 503 overloaded.
import { FOOTPRINT } from '../../src/relay/admission.ts';
import { eventually } from '../stack/services.ts';
import { quickUpstream } from './flood.ts';
import { startRelayProcess, type RelayProcess } from './relay-process.ts';

export interface BusyRelay {
  relay: RelayProcess;
  metricsText(): Promise<string>;
  /** A batch whose charge is about `mib` MiB (the large requests' share of the 4 MiB is 3 MiB). */
  batch(mib: number, tag: string): { model: string; input: string[]; dimensions: number };
  hold(): Promise<Response>;
  heldNow(): Promise<true>;
  /** Stops the relay (its exit code) and the upstream. */
  stop(): Promise<number | null>;
}

export async function startBusyRelay(model: string, holdMs = 1_500): Promise<BusyRelay> {
  const upstream = await quickUpstream(holdMs);
  const relay = await startRelayProcess({
    RELAY_UPSTREAM_URL: upstream.url,
    RELAY_MEMORY_BUDGET_BYTES: String(4 * 2 ** 20),
    RELAY_QUEUE_MAX: '0',
    RELAY_RETRY_AFTER_S: '1',
    OTEL_TRACES_EXPORTER: 'none',
  });
  const metricsText = async () => (await fetch(`http://127.0.0.1:${relay.metricsPort}/metrics`)).text();
  const batch = (mib: number, tag: string) => {
    const inputs = Math.ceil((mib * 2 ** 20 - FOOTPRINT.perRequestBytes) / FOOTPRINT.perBodyByte / 1000);
    return { model, input: Array.from({ length: inputs }, (_, i) => `${tag} ${i} ${'x'.repeat(990)}`), dimensions: 8 };
  };
  return {
    relay,
    metricsText,
    batch,
    hold: () =>
      fetch(`${relay.url}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch(2.9, 'hold')),
      }),
    heldNow: () =>
      eventually(
        'the batch held',
        async () => /^embedding_relay_memory_held_bytes(\{[^}]*\})? [1-9]/m.test(await metricsText()) || undefined,
        3_000,
        20,
      ),
    async stop() {
      const code = await relay.stop();
      upstream.server.closeAllConnections();
      upstream.server.close();
      return code;
    },
  };
}
