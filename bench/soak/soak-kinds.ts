// The soak's planned mix of requests, each with the statuses it may get, and what counts as an
// unexpected outcome of it.
import { MODEL, requestBody, SCENARIO_HEADER } from '../harness/scenario.ts';
import { scenarioNamed } from '../harness/scenarios/index.ts';
import { errorCount, type KindCounts, type RequestKind } from './soak-load.ts';

export function requestKinds(): RequestKind[] {
  const json = (scenario: string) => ({ 'content-type': 'application/json', [SCENARIO_HEADER]: scenario });
  const small = scenarioNamed('small')!;
  const errors = scenarioNamed('errors')!;
  return [
    {
      name: 'small',
      path: '/v1/embeddings',
      headers: json('small'),
      body: requestBody(small),
      weight: 83,
      expected: [200],
      connections: 8,
    },
    // The relay answers these itself (400 invalid_json): they never reach the upstream.
    {
      name: 'invalid-json',
      path: '/v1/embeddings',
      headers: json('small'),
      body: Buffer.from(`{"model":"${MODEL}","input":["cut off`),
      weight: 5,
      expected: [400],
      connections: 2,
    },
    // The upstream answers 503 to exactly one in five (the rest: `typical`'s 400 KB body).
    {
      name: 'upstream-503',
      path: '/v1/embeddings',
      headers: json('errors'),
      body: requestBody(errors),
      weight: 10,
      expected: [200, 503],
      connections: 4,
    },
    // The upstream answers 404 (unknown scenario); the relay passes it on.
    {
      name: 'upstream-404',
      path: '/v1/embeddings',
      headers: json('no-such-scenario'),
      body: requestBody(small),
      weight: 2,
      expected: [404],
      connections: 1,
    },
  ];
}

/** Connection errors, timeouts and responses with a status not planned for their kind. */
export function unexpectedSoFar(counts: Record<string, KindCounts>, kinds: RequestKind[]): number {
  let n = 0;
  for (const k of kinds) {
    const c = counts[k.name]!;
    n += c.timeouts + errorCount(c);
    for (const [status, count] of Object.entries(c.statuses)) if (!k.expected.includes(Number(status))) n += count;
  }
  return n;
}
