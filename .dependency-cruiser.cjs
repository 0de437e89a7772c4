// Import rules for src/ (`npm test` runs them: npm run lint). Each folder has one job; these
// rules keep the arrows pointing one way. docs/development.md draws the same map.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, between files or through folders.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'server-only-from-entry-points',
      comment: 'server/ (sockets, wiring, start-up) is imported only by the entry points (main.ts, instrument.ts) and by itself.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(main|instrument)[.]ts$', '^src/server/'] },
      to: { path: '^src/server/' },
    },
    {
      name: 'inspect-is-a-leaf',
      comment: 'inspect/ (reading responses, quality) is pure: it imports nothing else of the project.',
      severity: 'error',
      from: { path: '^src/inspect/' },
      to: { path: '^src/', pathNot: '^src/inspect/' },
    },
    {
      name: 'telemetry-reads-only-the-record',
      comment: 'telemetry/ projects the request record: of relay/ it reads record.ts only; never server/, monitors/, simulator/.',
      severity: 'error',
      from: { path: '^src/telemetry/' },
      to: { path: ['^src/relay/(?!record[.]ts$)', '^src/(server|monitors|simulator)/'] },
    },
    {
      name: 'relay-below-server',
      comment: 'relay/ (the request path) uses inspect/ and telemetry/; never server/, monitors/ or the simulator.',
      severity: 'error',
      from: { path: '^src/relay/' },
      to: { path: '^src/(server|monitors|simulator)/' },
    },
    {
      name: 'monitors-off-the-request-path',
      comment: 'monitors/ (canary, GPU) run beside the request path: of relay/ they use the upstream client only.',
      severity: 'error',
      from: { path: '^src/monitors/' },
      to: { path: ['^src/relay/(?!upstream[.]ts$)', '^src/(server|simulator)/'] },
    },
    {
      name: 'simulator-stands-alone',
      comment: 'simulator/ is a fake model server: it shares the request parser and body reader, nothing of telemetry or the relay path.',
      severity: 'error',
      from: { path: '^src/simulator/' },
      to: { path: ['^src/relay/(?!(body|request)[.]ts$)', '^src/(server|monitors|telemetry|inspect)/'] },
    },
    {
      name: 'leaves-stay-leaves',
      comment: 'config (config.ts, config/), errors.ts, headers.ts and send-json.ts import no other project module but each other.',
      severity: 'error',
      from: { path: '^src/(config/|(config|errors|headers|send-json)[.]ts$)' },
      to: { path: '^src/', pathNot: '^src/(config/|(config|errors|headers|send-json)[.]ts$)' },
    },
    {
      name: 'production-code-only',
      comment: 'src/ never imports tests, test support or benchmarks.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7 has no JS compiler API yet, which dependency-cruiser's own TS reader needs:
    // swc parses the sources instead, and it reports type-only imports too (a forbidden
    // `import type` fails the check; shown in docs/development.md).
    parser: 'swc',
    tsPreCompilationDeps: false,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
