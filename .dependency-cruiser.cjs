/**
 * Kefu's house rules for imports, checked by `npm run lint` (and so by CI). The folders follow the data's path:
 *
 *   composition roots (src/service.ts, src/main.ts, src/worker.ts, the CLIs in ingest/, eval/, bench/)
 *     → http/ → suggest/ → email/, chat/, handoff/, insights/ → answer/, calibrate/, regression/ → retrieve/, ingest/, classify/
 *       → ports and adapters: store/ (LanceDB), state/ (memory, Redis), embed/ (models)
 *         → base: config/, text/, privacy/, log.ts, errors.ts, gate.ts, lru-cache.ts
 *
 * An arrow points at what a module may import; nothing points back up. An exception is written here, with its
 * reason and the issue that removes it, so a reviewer sees it instead of finding it.
 */
const DOMAIN = '^src/(classify|retrieve|ingest|calibrate|regression|answer|chat|email|handoff|insights|channels|moderation|suggest)/';
const ROOTS = '^src/(service|main|worker)[.]ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one module in two files: move the shared part down (types to the lower one).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'http-is-the-top',
      severity: 'error',
      comment: 'Routes depend on services, never the other way: only the composition roots and CLIs import src/http.',
      from: { path: '^src/', pathNot: ['^src/http/', ROOTS] },
      to: { path: '^src/http/' },
    },
    {
      name: 'composition-roots-are-not-imported',
      severity: 'error',
      comment: 'service.ts wires everything; a module importing it would import the whole service.',
      from: { path: '^src/', pathNot: ROOTS },
      to: { path: ROOTS },
    },
    {
      name: 'ingest-below-answering',
      severity: 'error',
      comment: 'Ingestion writes the knowledge table; what answers from it (and calibration, which asks it questions) is handed in as a hook by the composition root.',
      from: { path: '^src/ingest/' },
      to: { path: '^src/(answer|calibrate|retrieve|chat|email|handoff|insights|regression|suggest)/' },
    },
    {
      name: 'channels-below-suggestions',
      comment: 'Suggestions learn from what channels and insights record; those hand their events over by callback and never import src/suggest.',
      severity: 'error',
      from: { path: '^src/(chat|email|handoff|insights|channels)/' },
      to: { path: '^src/suggest/' },
    },
    {
      name: 'retrieve-below-answering',
      severity: 'error',
      comment: 'Retrieval finds passages; deciding and answering build on it.',
      from: { path: '^src/retrieve/' },
      to: { path: '^src/(answer|calibrate|chat|email|handoff|insights|ingest|regression|suggest)/' },
    },
    {
      name: 'answer-below-channels',
      severity: 'error',
      comment: 'Chat sessions and the e-mail channel use the answer service; it knows neither.',
      from: { path: '^src/answer/' },
      to: { path: '^src/(chat|email|handoff|insights|ingest|calibrate|regression|suggest)/' },
    },
    {
      name: 'adapters-know-no-domain',
      severity: 'error',
      comment: 'Ports and their implementations (store, state, embed) and the base modules serve every stage and depend on none.',
      from: { path: '^src/(store|state|embed|config|text|privacy)/|^src/(log|errors|gate|lru-cache)[.]ts$' },
      to: { path: [DOMAIN, '^src/http/', ROOTS] },
    },
    {
      name: 'store-behind-its-port',
      severity: 'error',
      comment: 'Modules take the KnowledgeStore port (src/store/knowledge-store.ts); only the composition roots and the ingestion run that writes the table open the LanceDB implementation.',
      from: { path: '^src/', pathNot: ['^src/store/', ROOTS, '^src/ingest/run-ingestion[.]ts$'] },
      to: { path: '^src/store/lance-knowledge-store[.]ts$' },
    },
    {
      name: 'http-over-services',
      severity: 'error',
      comment:
        'Routes read and change the knowledge base through a service (src/ingest/knowledge-service.ts), never the store, its port or ' +
        'its implementation: of src/store, http may use the audience helpers (no table behind them) and the record types.',
      from: { path: '^src/http/' },
      to: { path: '^src/store/', pathNot: '^src/store/(audiences|chunk-media)[.]ts$' },
    },
    {
      name: 'http-over-services-types-only',
      severity: 'error',
      comment: "A chunk's record types reach src/http as types, never as values.",
      from: { path: '^src/http/' },
      to: { path: '^src/store/chunk-media[.]ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'lancedb-only-in-store',
      severity: 'error',
      comment: 'SQL, Arrow and LanceDB names stay inside src/store (benches and tests may open tables directly).',
      from: { path: '^(src|ingest|eval)/', pathNot: '^src/store/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], path: 'node_modules/(@lancedb/|apache-arrow/)' },
    },
    {
      name: 'redis-only-in-state',
      severity: 'error',
      comment:
        'Every Redis connection comes from src/state/redis-connection.ts. Recorded exception: email-channel.ts builds its BullMQ ' +
        'queues and workers itself (their connection settings come from the factory, queueConnection).',
      from: { path: '^(src|ingest|eval)/', pathNot: ['^src/state/', '^src/email/email-channel[.]ts$'] },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], path: 'node_modules/(ioredis|bullmq)/' },
    },
    {
      name: 'src-stands-alone',
      severity: 'error',
      comment: 'The service never imports the CLIs, the eval, the benches or the tests.',
      from: { path: '^src/' },
      to: { path: '^(ingest|eval|bench|test)/' },
    },
    {
      name: 'not-to-dev-dependency',
      severity: 'error',
      comment: 'The production image installs no devDependencies: src may not import them (the widget build script runs at build time).',
      from: { path: '^src/', pathNot: '^src/web/build-widget[.]mjs$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve fails at run time.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
