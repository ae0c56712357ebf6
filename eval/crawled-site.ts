/**
 * `npm run eval:crawled-site`: does knowledge read from a website answer as well as the same knowledge read
 * from files? The sample knowledge base is served as a help centre (test/support/help-centre-site.ts: site
 * chrome, sitemap index, robots.txt, print views), crawled and ingested into one table; the knowledge folder
 * itself is ingested into another. Then `npm run eval` runs the dev set on each: on the files with its own
 * document ids, on the site with every relevant id mapped to its page URL (`policies/returns.en.md` →
 * `/articles/policies/returns.en`, FAQ `faq-g-001` → `/faq/faq-g-001`). PDFs are not pages of the site, so
 * they leave the relevant lists of both runs, and a question relevant only to a PDF leaves both sets.
 * Prints both tables and a JSON line of hit@1, hit@5 and MRR@10 with the difference in points.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { ingestKnowledgeBase } from '../src/ingest-knowledge-base.js';
import { HelpCentreSite } from '../test/support/help-centre-site.js';
import { listenLocal } from '../test/support/listen.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-eval-site-'));
const site = new HelpCentreSite('knowledge');
const { server, base } = await listenLocal(site.handler);
site.base = base;
try {
  const knowledge = path.join(dir, 'knowledge');
  await mkdir(knowledge);
  await cp('knowledge/product-lines.yaml', path.join(knowledge, 'product-lines.yaml'));
  await writeFile(
    path.join(knowledge, 'sources.yaml'),
    `sources:\n  - id: help\n    type: website\n    startUrls: ["${base}/"]\n    include: ["/articles/", "/faq/"]\n    limits: { delayMs: 0, concurrency: 4 }\n`,
  );
  const env = {
    DB_DIR: path.join(dir, 'site-db'),
    KNOWLEDGE_DIR: knowledge,
    SOURCES_FILE: path.join(knowledge, 'sources.yaml'),
    SOURCES_CACHE_DIR: path.join(dir, 'cache'),
    SOURCE_FETCH_ALLOW: '127.0.0.1',
    LOG_LEVEL: 'silent',
  };
  const siteConfig = loadConfig({ ...process.env, ...env });
  const fileConfig = loadConfig({ ...process.env, DB_DIR: path.join(dir, 'file-db'), LOG_LEVEL: 'silent' });
  const embedders = await loadEmbeddingSpaces(fileConfig);
  const crawled = await ingestKnowledgeBase(siteConfig, embedders, { sync: 'all' });
  process.stderr.write(`site: ${crawled.sources?.[0].pages} pages, ${crawled.chunksTotal} chunks\n`);
  const files = await ingestKnowledgeBase(fileConfig, embedders);
  process.stderr.write(`files: ${files.chunksTotal} chunks\n`);

  const queries = (await readFile('eval/dev-set.jsonl', 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { relevant: string[]; answerable: boolean });
  const toUrl = (id: string) => (id.includes('/') ? `${base}/articles/${id.replace(/\.[^./]+$/, '')}` : `${base}/faq/${id}`);
  const kept = queries
    .map((query) => ({ ...query, relevant: query.relevant.filter((id) => !id.endsWith('.pdf')) }))
    .filter((query, index) => !query.answerable || query.relevant.length > 0 || queries[index].relevant.length === 0);
  await writeFile(path.join(dir, 'files.jsonl'), kept.map((query) => JSON.stringify(query)).join('\n'));
  await writeFile(path.join(dir, 'site.jsonl'), kept.map((query) => JSON.stringify({ ...query, relevant: query.relevant.map(toUrl) })).join('\n'));
  const run = (name: string, db: string) => {
    const out = path.join(dir, `${name}.json`);
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'eval/eval.ts', '--db', db, '--queries', path.join(dir, `${name}.jsonl`), '--json', out], {
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    process.stdout.write(`\n${name}:\n${result.stdout}`);
    if (result.status !== 0) throw new Error(`eval on ${name} failed: ${result.stderr.slice(-500)}`);
    return out;
  };
  const numbers = async (file: string) => {
    const { report } = JSON.parse(await readFile(file, 'utf8')) as {
      report: { overall: { queries: number; kefu: { hitAt1: number; hitAt5: number; mrrAt10: number }; refusal: { falseRefusals: number } } }[];
    };
    const { kefu, queries: count, refusal } = report[0].overall;
    return { queries: count, hitAt1: kefu.hitAt1, hitAt5: kefu.hitAt5, mrrAt10: kefu.mrrAt10, falseRefusals: refusal.falseRefusals };
  };
  const fileNumbers = await numbers(run('files', fileConfig.DB_DIR));
  const siteNumbers = await numbers(run('site', siteConfig.DB_DIR));
  const points = (key: 'hitAt1' | 'hitAt5' | 'mrrAt10' | 'falseRefusals') => Math.round((siteNumbers[key] - fileNumbers[key]) * 1000) / 10;
  console.log(
    JSON.stringify({
      eval: 'crawled-site',
      dropped: queries.length - kept.length,
      files: fileNumbers,
      site: siteNumbers,
      pointsSiteMinusFiles: { hitAt1: points('hitAt1'), hitAt5: points('hitAt5'), mrrAt10: points('mrrAt10'), falseRefusals: points('falseRefusals') },
    }),
  );
} finally {
  server.close();
  await rm(dir, { recursive: true, force: true });
}
