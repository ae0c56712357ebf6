/**
 * `npm run bench:email [-- --emails 200]`: e-mails drafted per second in extractive mode, through the whole
 * channel (intake, the BullMQ queue on Redis at REDIS_URL or 127.0.0.1:6379, parsing, the answer pipeline,
 * composing, review rules, the draft record) on the sample knowledge base, beside the same run's reference: the
 * same questions answered by the answer pipeline alone, as many at once as the workers, no caches. The ratio is the channel's own cost; the machine drifts.
 *
 * Then hostile mail (`--hostile-rounds 5`): 'Can I swim?' + 200,000 spaces + 'x', 60 nested multiparts, 900 KB of
 * HTML, 100,000 '？', and seeded random MIME trees, drafted by the in-process workers while /healthz is probed over
 * HTTP; its p50/p99 are reported beside a quiet baseline probed the same way in the same run.
 */
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { parse as parseCsv } from 'csv-parse/sync';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/log.js';
import { buildService } from '../src/service.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../test/support/real-stack.js';
import type { AddressInfo } from 'node:net';
import { hostileMails, sampleMails } from '../test/support/mail-fuzz.js';
import { SmtpCapture } from '../test/support/smtp-capture.js';
import { percentile, round } from './stats.js';

const argument = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
};
const count = Number(argument('emails', '200'));
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `kefu-bench-email-${Date.now()}:`;

// Questions from the sample FAQ sheets, both languages, each sent as a mail with a greeting and a sign-off.
const questions: string[] = [];
for (const file of ['knowledge/faq/wearables-faq.jsonl', 'knowledge/faq/general-faq.jsonl']) {
  for (const line of (await readFile(file, 'utf8')).split('\n').filter(Boolean)) questions.push((JSON.parse(line) as { question: string }).question);
}
for (const file of ['knowledge/faq/smart-home-faq.csv', 'knowledge/faq/in-car-faq.csv']) {
  for (const row of parseCsv(await readFile(file, 'utf8'), { columns: true }) as { question: string }[]) questions.push(row.question);
}
const mail = (index: number) => {
  const question = questions[index % questions.length]!;
  const zh = /[\u4e00-\u9fff]/.test(question);
  const body = zh ? `您好：\n\n${question}\n\n谢谢！\n李明` : `Hello,\n\n${question}\n\nBest regards,\nSam Lee`;
  return Buffer.from(`From: Sam Lee <sam${index}@example.com>\r\nTo: support@lumora.example\r\nSubject: Question ${index}\r\nMessage-ID: <bench-${index}-${Date.now()}@example.com>\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body.replace(/\n/g, '\r\n')}\r\n`);
};

const temp = await tempDir('bench-email');
const base = await ingestSampleKnowledge(temp.dir, { CALIBRATION_ENABLED: 'false', STATE_LOG_DIR: `${temp.dir}/state` });
const smtp = await new SmtpCapture().start();
const config = loadConfig({ ...configToEnv(base), ANSWER_CACHE: 'false', EMBEDDING_CACHE_ENTRIES: '0', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, EMAIL_ENABLED: 'true', SMTP_URL: smtp.url, EMAIL_CONCURRENCY: argument('concurrency', '2') });
// The embedding model as deployed (EMBEDDING_WORKER: a worker thread), unless --shared-models: in-process models, as the
// tests share them, run ONNX inference on the event loop and that (not the mail) is what /healthz then waits for.
const service = await buildService(config, createLogger('silent'), { chatModel: null, ...(process.argv.includes('--shared-models') ? { embedders: await realEmbedders() } : {}) });
const channel = service.email!;

// Warm-up: models, tables and the queue connection.
for (let index = 0; index < 5; index++) for await (const _ of service.answers.answer({ question: questions[index]!, channel: 'email' }));

// Reference: the answer pipeline alone, the same questions as the mails (greeting and sign-off aside), as many at
// once as the workers draft. No caches (answer or embedding): neither run profits from the other.
let started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: config.EMAIL_CONCURRENCY }, async () => {
    while (next < count) {
      const index = next++;
      for await (const _ of service.answers.answer({ question: questions[index % questions.length]!, channel: 'email' }));
    }
  }),
);
const referencePerSecond = count / ((performance.now() - started) / 1000);

// The channel: every mail taken in at once (a burst), drafted by the workers.
started = performance.now();
const ids = [];
for (let index = 0; index < count; index++) ids.push((await channel.intake(mail(index), 'api')).id);
const intakeMs = performance.now() - started;
for (;;) {
  const counts = await channel.draftQueue.getJobCounts('completed', 'failed');
  if ((counts.completed ?? 0) + (counts.failed ?? 0) >= count) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const seconds = (performance.now() - started) / 1000;
const failed = (await channel.draftQueue.getJobCounts('failed')).failed ?? 0;
const perSecond = count / seconds;

console.log(`bench:email — ${count} e-mails, extractive mode, EMAIL_CONCURRENCY ${config.EMAIL_CONCURRENCY}, sample knowledge base, embeddings ${process.argv.includes('--shared-models') ? 'in-process (--shared-models)' : 'on a worker thread (EMBEDDING_WORKER, as deployed)'}`);
console.log(`  intake (store + queue)      ${round(intakeMs / count)} ms per e-mail, ${round(count / (intakeMs / 1000))} e-mails/s`);
console.log(`  drafted                     ${round(perSecond)} e-mails/s (${failed} failed)`);
console.log(`  reference: answers alone    ${round(referencePerSecond)} answers/s`);
console.log(`  ratio drafted / reference   ${(perSecond / referencePerSecond).toFixed(2)}`);

// Hostile mail: /healthz while the workers of this process draft it, against a quiet baseline probed the same way.
const rounds = Number(argument('hostile-rounds', '5'));
const server = service.app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const healthUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
const probe = async (until: () => boolean, minimum: number) => {
  const times: number[] = [];
  while (times.length < minimum || !until()) {
    const at = performance.now();
    await (await fetch(healthUrl)).text();
    times.push(performance.now() - at);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return times;
};
const quiet = await probe(() => true, 300);
const hostile = [...Array.from({ length: rounds }, (_, round) => hostileMails(`bench-${round}-${Date.now()}`)).flat(), ...sampleMails(10 * rounds, 7, `bench-${Date.now()}`)];
const hostileIds = new Set<string>();
const doneBefore = (await channel.draftQueue.getJobCounts('completed', 'failed')) as Record<string, number>;
let drafted = false;
const hostileStarted = performance.now();
const loaded = probe(() => drafted, 50);
for (const raw of hostile) {
  const result = await channel.intake(raw, 'api').catch(() => undefined);
  if (result && !result.duplicate) hostileIds.add(result.id);
}
for (;;) {
  const counts = (await channel.draftQueue.getJobCounts('completed', 'failed')) as Record<string, number>;
  if ((counts.completed ?? 0) + (counts.failed ?? 0) - (doneBefore.completed ?? 0) - (doneBefore.failed ?? 0) >= hostileIds.size) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
drafted = true;
const underLoad = await loaded;
const hostileSeconds = (performance.now() - hostileStarted) / 1000;
const hostileFailed = ((await channel.draftQueue.getJobCounts('failed')).failed ?? 0) - failed;
server.close();
const [q50, q99, h50, h99] = [percentile(quiet, 50), percentile(quiet, 99), percentile(underLoad, 50), percentile(underLoad, 99)];
console.log(`  hostile mail                ${hostileIds.size} mails (${rounds}× spaces, deep MIME, 900 KB HTML, '？'; ${10 * rounds} random MIME trees) drafted in ${round(hostileSeconds)} s, ${hostileFailed} failed (unparseable or no sender)`);
console.log(`  /healthz quiet              p50 ${round(q50)} ms, p99 ${round(q99)} ms (${quiet.length} probes)`);
console.log(`  /healthz under hostile mail p50 ${round(h50)} ms, p99 ${round(h99)} ms (${underLoad.length} probes); ratio to quiet p50 ${(h50 / q50).toFixed(2)}, p99 ${(h99 / q99).toFixed(2)}`);

await service.close();
await smtp.stop();
// The bench's keys only.
const redis = new Redis(redisUrl);
const keys = await redis.keys(`${prefix}*`);
for (let index = 0; index < keys.length; index += 500) await redis.del(...keys.slice(index, index + 500));
redis.disconnect();
await temp.remove();
