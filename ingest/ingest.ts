/**
 * `npm run ingest [-- options]`: builds or updates the knowledge table.
 *
 *   --source <dir|file>   what to ingest (default KNOWLEDGE_DIR)
 *   --db <dir>            LanceDB folder (default DB_DIR)
 *   --table <name>        table name (default TABLE_NAME)
 *   --json                print the summary as JSON
 *   --list-versions       list table versions (ingestion runs are tagged) and exit
 *   --rollback <version>  make an earlier version current again and exit (--force to allow an empty version)
 *
 * Exit codes: 0 all ingested, 1 some files failed (the rest is committed), 2 the run could not happen.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { ingestKnowledgeBase } from '../src/ingest/ingest-knowledge-base.js';
import { createProgress } from '../src/ingest/progress.js';
import { type IngestSummary, runIngestion } from '../src/ingest/run-ingestion.js';
import { KnowledgeStore } from '../src/store/knowledge-store.js';

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
    },
  });
  const config = loadConfig();
  const dbDir = values.db ?? config.DB_DIR;
  const tableName = values.table ?? config.TABLE_NAME;

  if (values['list-versions'] || values.rollback) {
    const store = await KnowledgeStore.open(dbDir, tableName);
    if (values.rollback) {
      const target = /^\d+$/.test(values.rollback) ? Number(values.rollback) : values.rollback;
      const version = await store.rollback(target, { force: values.force });
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
  const progress = values.json ? undefined : createProgress();
  // The knowledge base is tagged with the product-line rules; any other corpus (--source) is ingested as is.
  const summary = values.source
    ? await runIngestion({
        source: values.source,
        dbDir,
        tableName,
        embedders,
        maxFileBytes: config.INGEST_MAX_FILE_BYTES,
        chunkMaxTokens: config.CHUNK_MAX_TOKENS,
        chunkOverlapTokens: config.CHUNK_OVERLAP_TOKENS,
        progress,
        calibration: config.CALIBRATION_ENABLED ? { target: config.CALIBRATION_FALSE_REFUSAL_TARGET } : undefined,
      })
    : await ingestKnowledgeBase(config, embedders, { dbDir, tableName, progress });
  print(values.json, summary, describe(summary));
  return summary.documents.failed > 0 ? 1 : 0;
}

function describe(summary: IngestSummary): string {
  const d = summary.documents;
  const lines = [
    `Ingested ${summary.source} into ${summary.db}/${summary.table} → version ${summary.version}${summary.committed ? '' : ' (nothing changed, no new version)'}`,
    `  documents: ${d.added} added, ${d.updated} updated, ${d.unchanged} unchanged, ${d.removed} removed, ${d.failed} failed`,
    `  chunks written: ${summary.chunksWritten} (table holds ${summary.chunksTotal})`,
    `  ${summary.seconds.toFixed(2)} s total, ${summary.chunksPerSecond.toFixed(1)} chunks embedded per second`,
  ];
  for (const [lang, entry] of Object.entries(summary.calibration?.languages ?? {})) {
    lines.push(`  refusal threshold (${lang}): ${entry.threshold} — ${entry.positives} probes from the knowledge base, ${Math.round(entry.negativesRefused * 100)} % of ${entry.negatives} out-of-domain probes refused, AUROC ${entry.auroc}`);
  }
  if (summary.warnings.length) lines.push('  warnings:', ...summary.warnings.map((warning) => `    ${warning}`));
  if (summary.failures.length) lines.push('  failed:', ...summary.failures.map((failure) => `    ${failure.path}: ${failure.reason}`));
  if (summary.ignored.length) lines.push(`  ignored (unsupported type): ${summary.ignored.join(', ')}`);
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
