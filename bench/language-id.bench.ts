import fs from 'node:fs';
import { identifyLanguage } from '../src/text/language.js';
const short = JSON.parse(fs.readFileSync('test/fixtures/language/short-questions.json', 'utf8'));
let ok = 0,
  n = 0;
const rows = [];
for (const [lang, ts] of Object.entries(short) as [string, string[]][]) {
  const got = ts.map(identifyLanguage);
  const k = got.filter((g) => g === lang).length;
  ok += k;
  n += ts.length;
  rows.push(`${lang} ${k}/${ts.length}${k < ts.length ? '(' + got.filter((g) => g !== lang).join(',') + ')' : ''}`);
}
console.log('short', (ok / n).toFixed(3), rows.join(' '));
const per: Record<string, [number, number]> = {};
const wrong: string[] = [];
for (const f of [
  '../shared/data/xquad-multilingual/queries.jsonl',
  '../shared/data/xquad-en-zh/queries.jsonl',
  '../shared/data/alibabacloud-ecs-faq-en-zh/queries.jsonl',
  '../shared/data/refusal-xquad-squad2-clinc/queries.jsonl',
])
  for (const line of fs.readFileSync(f, 'utf8').trim().split('\n')) {
    const q = JSON.parse(line);
    if (!q.lang) continue;
    const g = identifyLanguage(q.text);
    per[q.lang] ??= [0, 0];
    per[q.lang][1]++;
    if (g === q.lang) per[q.lang][0]++;
    else if (wrong.length < 12) wrong.push(`${q.lang}->${g}: ${q.text.slice(0, 60)}`);
  }
console.log(
  Object.entries(per)
    .map(([l, [a, b]]) => `${l} ${a}/${b}`)
    .join(' '),
);
console.log(wrong.join('\n'));
