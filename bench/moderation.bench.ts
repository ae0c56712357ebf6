/**
 * `npm run bench:moderation`: the sensitive-word matcher (Aho–Corasick, src/moderation/aho-corasick.ts) over a
 * streamed answer in 4 KB chunks. Reports MB/s for 10,000 terms over 1 MB and 10 MB, beside the same run's
 * reference: 100 terms over 1 MB. Linear time shows as ratios near 1: throughput does not fall with the number of
 * terms (10,000 vs 100) nor with the length of the stream (10 MB vs 1 MB). The naive alternative, `includes` per
 * term, is timed on 100 KB for contrast. A third stream mixes what the folding handles off its fast path (Latin
 * with accents, Cyrillic and Greek look-alikes, full-width letters, traditional characters, zero-width characters
 * and punctuation between characters): its rate beside the Han stream's shows that folding stays per character.
 */
import { AhoCorasick } from '../src/moderation/aho-corasick.js';
const round = (value: number, digits: number) => Number(value.toFixed(digits));

const random = (seed: number) => () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
const next = random(42);
const han = () => String.fromCharCode(0x4e00 + Math.floor(next() * 1500));
const lexicon = (count: number) => Array.from({ length: count }, () => Array.from({ length: 2 + Math.floor(next() * 4) }, han).join(''));
const stream = (chars: number) => Array.from({ length: chars }, han).join('');

function scan(matcher: AhoCorasick, text: string): { mbPerSecond: number; hits: number } {
  const scanner = matcher.scanner();
  let hits = 0;
  const started = performance.now();
  for (let at = 0; at < text.length; at += 4096) hits += scanner.feed(text.slice(at, at + 4096)).length;
  const seconds = (performance.now() - started) / 1000;
  return { mbPerSecond: Buffer.byteLength(text) / 1e6 / seconds, hits };
}

const oneMb = stream(350_000); // about 1 MB of UTF-8 (3 bytes per Han character)
const evasive = ['p', 'а', 'у', 'Ρ', 'é', 'ｃ', '\u200b', '·', ' ', '違', '禁', 'x', 'О', 'ñ', '-', '词'];
const mixedMb = Array.from({ length: 500_000 }, () => (next() < 0.5 ? evasive[Math.floor(next() * evasive.length)]! : han())).join('');
const tenMb = oneMb.repeat(10);
const small = new AhoCorasick(lexicon(100));
const large = new AhoCorasick(lexicon(10_000));
scan(large, oneMb); // warm-up
const reference = scan(small, oneMb);
const big = scan(large, oneMb);
const long = scan(large, tenMb);
const mixed = scan(large, mixedMb);
const terms = lexicon(10_000);
const sample = oneMb.slice(0, 35_000);
const naiveStarted = performance.now();
let naiveHits = 0;
for (const term of terms) if (sample.includes(term)) naiveHits++;
const naiveMbPerSecond = Buffer.byteLength(sample) / 1e6 / ((performance.now() - naiveStarted) / 1000);
console.log(
  JSON.stringify(
    {
      reference_100_terms_1mb_mb_per_s: round(reference.mbPerSecond, 1),
      terms_10000_1mb_mb_per_s: round(big.mbPerSecond, 1),
      terms_10000_10mb_mb_per_s: round(long.mbPerSecond, 1),
      ratio_10000_vs_100_terms: round(big.mbPerSecond / reference.mbPerSecond, 2),
      ratio_10mb_vs_1mb: round(long.mbPerSecond / big.mbPerSecond, 2),
      terms_10000_mixed_evasive_text_mb_per_s: round(mixed.mbPerSecond, 1),
      ratio_mixed_vs_han: round(mixed.mbPerSecond / big.mbPerSecond, 2),
      naive_includes_10000_terms_mb_per_s: round(naiveMbPerSecond, 3),
      hits_1mb: big.hits,
      naive_hits_100kb: naiveHits,
    },
    null,
    2,
  ),
);
