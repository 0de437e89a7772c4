// The model server's other routes (config/pass-through-routes.ts): relayed unchanged through the
// same flow (flow.ts: inbound auth, the memory budget, status and headers, the body streamed back),
// with nothing of their own to parse or read. HTTP telemetry only: their records carry no
// operation, so no GenAI series counts them (telemetry/metrics.ts).
import type { RequestRecord } from '../core/record.ts';
import type { BodyReader, OperationStages } from './flow.ts';

export const passThroughStages: OperationStages<BodyReader> = {
  methods: ['GET', 'HEAD', 'POST'],
  parse(_rec: RequestRecord, _body: Buffer): void {},
  reader: () => undefined,
  outcome: () => {},
};
