// Import rules for src/, test/ and bench/ (`npm test` runs them: npm run lint). docs/development.md
// draws the same map.
//
// src/ is built in layers, lowest first. A folder imports only itself and the folders of lower
// layers; the folders of one layer do not import each other. The files at the top of src/ are the
// entry points, the top layer: nothing imports them. Each rule below is generated from this table,
// so a new folder gets its place by being listed here, and no rule names a file.
const LAYERS = [
  // The ground floor: the request record and the types it carries, typed errors, header names,
  // the one JSON writer (core/); the options table and its parsers (config/).
  ['core', 'config'],
  // Reading responses and judging vectors (inspect/); the client of the model server (upstream/).
  ['inspect', 'upstream'],
  // The OpenAI embeddings request as the relay and the simulator both read it (protocol/); the
  // record's three projections and the SDK (telemetry/).
  ['protocol', 'telemetry'],
  // The request path (relay/); what runs beside it (monitors/); the fake model server (simulator/).
  ['relay', 'monitors', 'simulator'],
  // Sockets, wiring and start-up.
  ['server'],
];

const folder = (name) => `^src/${name}/`;

/** One rule per folder: what it may import of src/ is itself and everything below its layer. */
function layerRules() {
  return LAYERS.flatMap((layer, i) =>
    layer.map((name) => ({
      name: `layer-${name}`,
      comment: `src/${name}/ imports only src/${name}/ and the layers below it: ${LAYERS.slice(0, i).flat().join(', ') || 'none'}.`,
      severity: 'error',
      from: { path: folder(name) },
      to: { path: '^src/', pathNot: [name, ...LAYERS.slice(0, i).flat()].map(folder) },
    })),
  );
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, between files or through folders, in src/, test/ or bench/.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules(),
    {
      name: 'src-folders-are-layers',
      comment: 'Every folder of src/ has its place in LAYERS.',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: LAYERS.flat().map(folder) },
      to: {},
    },
    {
      name: 'entry-points-on-top',
      comment: 'The files at the top of src/ are entry points (main.ts, instrument.ts): nothing imports them.',
      severity: 'error',
      from: {},
      to: { path: '^src/[^/]+[.]ts$' },
    },
    {
      name: 'production-code-only',
      comment: 'src/ never imports tests, test support or benchmarks.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'bench-borrows-test-support-only',
      comment: 'bench/ may use the helpers in test/support/, never a test suite.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/', pathNot: '^test/support/' },
    },
    {
      name: 'tests-stand-alone',
      comment: 'A test file is imported by nobody: what two suites share goes to test/support/.',
      severity: 'error',
      from: {},
      to: { path: '[.]test[.]ts$' },
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
    enhancedResolveOptions: { extensions: ['.ts', '.js'], exportsFields: ['exports'], conditionNames: ['import', 'default'] },
  },
};
