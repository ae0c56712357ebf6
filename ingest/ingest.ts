/**
 * `npm run ingest [-- options]`: builds or updates the knowledge table.
 *
 *   --source <dir|file>   what to ingest (default KNOWLEDGE_DIR)
 *   --db <dir>            LanceDB folder (default DB_DIR)
 *   --table <name>        table name (default TABLE_NAME)
 *   --json                print the summary as JSON
 *   --list-versions       list table versions (ingestion runs are tagged) and exit
 *   --rollback <version>  make an earlier version current again and exit (--force to allow an empty version)
 *   --server <url>        start the job on a running service instead (POST /v1/admin/ingest) and follow it
 *                         (or KEFU_SERVER, as the keys CLI reads it);
 *   --key-file <file>     with the admin API key in this file, or KEFU_ADMIN_KEY (--key <key> works too, but npm
 *                         prints a script's arguments, so the key would land on screen and in CI logs)
 *   --progress-json       progress as JSON lines on stderr (how a service job follows its child)
 *   --lock-held           the caller holds the table's lock (a service job); stop when stdin closes
 *   --sync <ids|all>      fetch these sources (websites, help centres; comma-separated) before ingesting
 *   --workspace <id>      a created workspace's knowledge folder into its table (docs/workspaces.md); with
 *                         --server, the job runs in that workspace (an operator key may name any workspace)
 *   --approve | --discard publish the version the regression gate held, or go back to the published one, and exit
 *   --audiences <names>   who may see the documents that do not say so themselves (comma-separated, e.g. agents);
 *                         default: the folder source's `audiences` in sources.yaml, else public (docs/audiences.md)
 *
 * Exit codes: 0 all ingested, 1 some files failed (the rest is committed), 2 the run could not happen, 4 the regression
 * gate held the new version (written, not served: approve or discard it, POST /v1/admin/jobs/:id/approve|discard or
 * the admin page). A service job's child (--lock-held) exits 0 or 1: the job record says it is held.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { ingestKnowledgeBase, ingestionState, runSettings } from '../src/ingest-knowledge-base.js';
import { acquireIngestLock, lockSettings } from '../src/ingest/lock.js';
import { createJsonProgress, createProgress, type ProgressReporter } from '../src/ingest/progress.js';
import type { IngestJobRecord } from '../src/ingest/jobs.js';
import { approveHeld, discardHeld } from '../src/ingest/held-versions.js';
import type { GateAnswer } from '../src/ingest/regression-gate.js';
import { type IngestSummary, runIngestion } from '../src/ingest/run-ingestion.js';
import { LanceKnowledgeStore } from '../src/store/lance-knowledge-store.js';
import { WORKSPACE_HEADER } from '../src/http/workspace-access.js';
import { workspaceConfig } from '../src/workspaces/workspace-config.js';
import { workspaceId } from '../src/workspaces/workspace-registry.js';
import { audienceList, normalizeAudiences } from '../src/store/audiences.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      source: { type: 'string' },
      db: { type: 'string' },
      table: { type: 'string' },
      json: { type: 'boolean', default: false },
      'list-versions': { type: 'boolean', default: false },
      rollback: { type: 'string' },
      force: { type: 'boolean', default: false },
      server: { type: 'string' },
      key: { type: 'string' },
      'key-file': { type: 'string' },
      'progress-json': { type: 'boolean', default: false },
      'lock-held': { type: 'boolean', default: false },
      sync: { type: 'string' },
      workspace: { type: 'string' },
      approve: { type: 'boolean', default: false },
      discard: { type: 'boolean', default: false },
      audiences: { type: 'string' },
    },
  });
  const audiences = values.audiences === undefined ? undefined : audienceList.safeParse(values.audiences);
  if (audiences && !audiences.success) {
    process.stderr.write(`ingest: --audiences: ${audiences.error.issues[0]?.message}\n`);
    return 2;
  }
  const defaultAudiences = audiences?.data ? normalizeAudiences(audiences.data) : undefined;
  // KEFU_SERVER as the keys CLI reads it: set, an operator means the running service, never a silent local run into
  // the live table. A service job's own child (--lock-held) is the local run, whatever its environment says.
  const server = values.server ?? (values['lock-held'] ? undefined : process.env.KEFU_SERVER || undefined);
  if (values.key) process.stderr.write('ingest: note: --key is echoed by npm and kept in shell history; prefer KEFU_ADMIN_KEY or --key-file\n');
  if (server && defaultAudiences) {
    process.stderr.write('ingest: --audiences applies to a local run; on a service, set the knowledge source\'s audiences (PATCH /v1/admin/sources/knowledge) or the folders\' .audiences.yaml\n');
    return 2;
  }
  if (server) {
    const key = values.key ?? (values['key-file'] ? readFileSync(values['key-file'], 'utf8').trim() : process.env.KEFU_ADMIN_KEY);
    const { summary, job } = await followRemoteJob(server, key, values.json ? undefined : createProgress(), values.workspace);
    print(values.json, summary, describe(summary, job));
    return summary.gate?.held ? 4 : summary.documents.failed > 0 ? 1 : 0;
  }
  // A service job's child: the service holds the lock and renews it; if the service dies, so does this run.
  if (values['lock-held']) {
    process.stdin.on('end', () => process.exit(3));
    process.stdin.resume();
  }
  if (values.key || values['key-file'] || process.env.KEFU_ADMIN_KEY) process.stderr.write('ingest: an admin key is set but no server (--server or KEFU_SERVER): ingesting locally\n');
  // A workspace's folder, table and lock: the paths the service gives that workspace's jobs.
  const config = values.workspace ? workspaceConfig(loadConfig(), { id: workspaceId.parse(values.workspace), settings: {} }) : loadConfig();
  const dbDir = values.db ?? config.DB_DIR;
  const tableName = values.table ?? config.TABLE_NAME;

  if (values.approve || values.discard) {
    const store = await LanceKnowledgeStore.open(dbDir, tableName, { storageOptions: config.LANCEDB_STORAGE_OPTIONS });
    // Like an admin's decision on a held job: under the table's lock, as it moves what serves.
    const lock = await acquireIngestLock({ ...lockSettings(config), dbDir, tableName, purpose: values.approve ? 'approval' : 'discard' });
    try {
      const latest = await store.latestVersion();
      const published = await store.publishedVersion();
      if (published === latest) {
        print(values.json, { published }, `Nothing is held: version ${published} is the newest and serves.`);
      } else if (values.approve) {
        print(values.json, { published: await approveHeld(store, latest) }, `Version ${latest} approved: it serves now.`);
      } else {
        const restored = await discardHeld(store);
        print(values.json, { published: restored, discarded: latest }, `Version ${latest} discarded: version ${published}'s contents serve, as version ${restored}.`);
      }
    } finally {
      await lock.release();
      store.close();
    }
    return 0;
  }

  if (values['list-versions'] || values.rollback) {
    const store = await LanceKnowledgeStore.open(dbDir, tableName, { storageOptions: config.LANCEDB_STORAGE_OPTIONS });
    if (values.rollback) {
      const target = /^\d+$/.test(values.rollback) ? Number(values.rollback) : values.rollback;
      // A rollback commits a version: it must not interleave with an ingestion's commits.
      const lock = await acquireIngestLock({ ...lockSettings(config), dbDir, tableName, purpose: 'rollback' });
      const version = await store.rollback(target, { force: values.force }).finally(() => lock.release());
      print(values.json, { rolledBackTo: target, newVersion: version }, `Rolled back to ${target}; it is now current as version ${version}.`);
    } else {
      const versions = await store.listVersions();
      const current = await store.version();
      print(
        values.json,
        { current, versions },
        versions.map((entry) => `${entry.version === current ? '*' : ' '} v${entry.version}  ${entry.timestamp.toISOString()}  ${entry.tag ?? ''}`).join('\n'),
      );
    }
    store.close();
    return 0;
  }

  const embedders = await loadEmbeddingSpaces(config);
  // The regression set's logs (cases added through the API, corrections, accepted suggestions, thumbs-up answers).
  const state = values.source ? undefined : await ingestionState(config);
  const progress = values['progress-json'] ? createJsonProgress() : values.json ? undefined : createProgress();
  // The knowledge base is tagged with the product-line rules; any other corpus (--source) is ingested as is.
  const summary = values.source
    ? await runIngestion({
        source: values.source,
        dbDir,
        tableName,
        embedders,
        progress,
        ...runSettings(config, embedders),
        lock: { ...runSettings(config, embedders).lock, held: values['lock-held'] },
        defaultAudiences,
      })
    : await ingestKnowledgeBase(config, embedders, {
        dbDir,
        tableName,
        progress,
        lockHeld: values['lock-held'],
        audiences: defaultAudiences,
        sync: values.sync === undefined ? undefined : values.sync === 'all' ? 'all' : values.sync.split(',').filter(Boolean),
        state,
      });
  await state?.close().catch(() => undefined);
  print(values.json, summary, describe(summary));
  if (summary.gate?.held && !values['lock-held']) return 4;
  return summary.documents.failed > 0 ? 1 : 0;
}

/**
 * `--server`: starts an ingestion job on a running service and follows it (GET /v1/admin/jobs/:id) with
 * the same progress bar, then returns the job's summary. The service's knowledge folder is ingested.
 */
async function followRemoteJob(server: string, key: string | undefined, progress?: ProgressReporter, workspace?: string): Promise<{ summary: IngestSummary; job: IngestJobRecord }> {
  if (!key) throw new Error('--server needs an admin API key: KEFU_ADMIN_KEY or --key-file FILE');
  const call = async (method: string, route: string) => {
    const response = await fetch(new URL(route, server), { method, headers: { 'x-api-key': key, ...(workspace ? { [WORKSPACE_HEADER]: workspace } : {}) } });
    const body = (await response.json().catch(() => ({}))) as { job?: IngestJobRecord; error?: { message: string } } & IngestJobRecord;
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${body.error?.message ?? ''}`.trim());
    return body;
  };
  const { job } = await call('POST', '/v1/admin/ingest');
  if (!job) throw new Error('the server started no job');
  process.stderr.write(`job ${job.id} started on ${server}\n`);
  let record: IngestJobRecord = job;
  while (record.state === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 500));
    record = await call('GET', `/v1/admin/jobs/${job.id}`);
    if (record.chunks.total) progress?.update(record.chunks.done, record.chunks.total);
  }
  progress?.finish();
  if (record.state === 'failed' || !record.summary) throw new Error(`job ${record.id} failed: ${record.error ?? 'no summary'}`);
  return { summary: { ...record.summary, failures: record.failures }, job: record };
}

function describe(summary: IngestSummary, job?: IngestJobRecord): string {
  const d = summary.documents;
  const lines = [
    `Ingested ${summary.source} into ${summary.db}/${summary.table} → version ${summary.version}${summary.committed ? '' : ' (nothing changed, no new version)'}`,
    `  documents: ${d.added} added, ${d.updated} updated, ${d.unchanged} unchanged, ${d.removed} removed, ${d.failed} failed`,
    `  chunks written: ${summary.chunksWritten} (table holds ${summary.chunksTotal})`,
    `  ${summary.seconds.toFixed(2)} s total, ${summary.chunksPerSecond.toFixed(1)} chunks embedded per second`,
  ];
  for (const [lang, entry] of Object.entries(summary.calibration?.languages ?? {})) {
    lines.push(`  refusal threshold (${lang}): ${entry.threshold} — ${entry.positives} probes from the knowledge base, ${Math.round(entry.negativesRefused * 100)} % of ${entry.negatives} out-of-domain probes refused, AUROC ${entry.auroc}`);
    if (entry.answerThreshold !== undefined) {
      // Other languages have no in-domain probes of their own: their confident cut is the cross-lingual model's.
      const probed = entry.inDomainNegatives === undefined ? "the cross-lingual model's cut (no in-domain probes are asked in other languages)" : `${Math.round((entry.inDomainAnsweredConfidently ?? 0) * 100)} % of ${entry.inDomainNegatives} in-domain unanswerable probes (an entry's question asked without it) still answered`;
      lines.push(`  answer threshold (${lang}): ${entry.answerThreshold} — between the two, the middle band (suggestions, or the model judges); ${probed}`);
    }
    if (entry.curve?.length) {
      // The knowledge base's own trade-off: move along it with REFUSAL_THRESHOLD_* / ANSWER_THRESHOLD_* or the calibration targets.
      lines.push(`  trade-off curve (${lang}): share of probes below each cut — cut: answerable / in-domain unanswerable / out-of-domain`);
      const pct = (value: number) => `${Math.round(value * 100)} %`;
      for (const point of entry.curve.filter((_, index) => index % 2 === 1)) lines.push(`    ${point.threshold.toFixed(2)}: ${pct(point.answerableBelow)} / ${pct(point.inDomainBelow)} / ${pct(point.outOfDomainBelow)}`);
    }
  }
  if (summary.warnings.length) lines.push('  warnings:', ...summary.warnings.map((warning) => `    ${warning}`));
  if (summary.failures.length) lines.push('  failed:', ...summary.failures.map((failure) => `    ${failure.path}: ${failure.reason}`));
  for (const source of summary.sources ?? []) {
    lines.push(
      `  source ${source.id}: ${source.state}${source.error ? ` (${source.error})` : ''}; ${source.pages} pages, ${source.pagesFetched} fetched, ${source.pagesNotModified} not modified, ${source.pagesSkipped} skipped by lastmod, ${source.pagesAdded} added, ${source.pagesChanged} changed, ${source.pagesRemoved} removed, ${source.pagesFailed} failed; ${source.requests} requests, ${source.bytes} bytes in ${source.seconds} s`,
    );
  }
  if (summary.ignored.length) lines.push(`  ignored (unsupported type): ${summary.ignored.join(', ')}`);
  lines.push(...describeContradictions(summary), ...describeGate(summary, job));
  return lines.join('\n');
}

function print(json: boolean | undefined, data: unknown, text: string) {
  process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : text + '\n');
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`ingest: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);

function describeContradictions(summary: IngestSummary): string[] {
  const found = summary.contradictions;
  if (!found) return [];
  const lines = [`  near-duplicate chunk pairs among those written: ${found.nearDuplicates}; contradictions standing: ${found.total} (${found.found} found in this run)`];
  for (const entry of found.list.slice(0, 20)) lines.push(`    ${entry.kind}: "${entry.a.clause}" (${entry.a.docId}) ≠ "${entry.b.clause}" (${entry.b.docId})`);
  return lines;
}

/** The gate's verdict and, when it held the version, the answers that changed and what to do next. */
function describeGate(summary: IngestSummary, job?: IngestJobRecord): string[] {
  const gate = summary.gate;
  if (!gate) return [];
  const answer = (entry: GateAnswer) =>
    entry.outcome === 'refused' ? 'refusal' : `${entry.docId ?? '?'}${entry.right ? '' : ' (wrong)'}`;
  const lines = [
    `  regression gate: ${gate.right} of ${gate.cases} cases answered from their document (score ${gate.score})${gate.baselineVersion === undefined ? '' : ` against version ${gate.baselineVersion}`} in ${gate.seconds} s`,
  ];
  for (const entry of gate.changed.slice(0, 50)) lines.push(`    ${entry.change === 'broke' ? 'BROKE' : 'fixed'}${entry.pinned ? ' (pinned)' : ''}: "${entry.question}" — was ${answer(entry.old)}, now ${answer(entry.new)} (expects ${entry.expected.join(' or ')})`);
  if (gate.changed.length > 50) lines.push(`    … and ${gate.changed.length - 50} more`);
  if (gate.held) {
    lines.push(
      `  HELD: version ${summary.version} is written but not served (${gate.reason}). Version ${gate.baselineVersion} keeps serving.`,
      job
        ? `  Approve or discard it: POST /v1/admin/jobs/${job.id}/approve or /discard, or on the admin page.`
        : '  Approve it with `npm run ingest -- --approve`, discard it with `npm run ingest -- --discard`, or fix the knowledge folder and ingest again.',
    );
  }
  return lines;
}
