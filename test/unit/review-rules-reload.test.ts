import { rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReviewRulesFile } from '../../src/email/review-rules-file.js';
import type { ReviewInput } from '../../src/email/review-rules.js';
import { tempDir } from '../support/real-stack.js';

/**
 * The e-mail review rules follow their file: an edit counts from the next draft, with no restart or rebuild; a
 * workspace that adds its own email-review.yaml switches to it, and back to the deployment's when it is removed; a
 * broken edit keeps the rules in force.
 */
const temp = await tempDir('review-reload');
afterAll(() => temp.remove());

const rule = (code: string, pattern: string) => `categories:\n  ${code}:\n    names: { zh: ${code}, en: ${code} }\n    patterns: ['${pattern}']\n`;
let clock = Date.now() / 1000;
/** Each write gets a later modification time than the last: the check compares them, and two writes may share a tick. */
async function write(file: string, text: string) {
  await writeFile(file, text);
  clock += 10;
  await utimes(file, clock, clock);
}
const input = (text: string): ReviewInput => ({ text, subject: 'Question', lang: 'en', refused: false, confidence: 0.9, mode: 'generated' });
const codes = (rules: ReviewRulesFile, text: string) => rules.reasons(input(text)).map((reason) => reason.code);

describe('e-mail review rules read from their file', () => {
  it('take an edit, a workspace’s own file added or removed, at the next draft, and keep the rules in force over a broken edit', async () => {
    const deployment = path.join(temp.dir, 'deployment-review.yaml');
    const own = path.join(temp.dir, 'email-review.yaml');
    await write(deployment, rule('refund', 'refund'));
    const rules = await ReviewRulesFile.load([own, deployment], 0.5);
    expect(codes(rules, 'I want a refund and a service PIN')).toEqual(['refund']);

    await write(own, rule('pin_request', 'service\\s+PIN'));
    await rules.refresh();
    expect(codes(rules, 'I want a refund and a service PIN')).toEqual(['pin_request']);

    await write(own, rule('pin_request', 'service\\s+PIN') + rule('reset', 'factory reset').replace('categories:\n', ''));
    await rules.refresh();
    expect(codes(rules, 'a service PIN for the factory reset')).toEqual(['pin_request', 'reset']);

    await write(own, 'categories: [not, a, map');
    await rules.refresh();
    expect(codes(rules, 'a service PIN for the factory reset')).toEqual(['pin_request', 'reset']);

    await rm(own);
    await rules.refresh();
    expect(codes(rules, 'I want a refund and a service PIN')).toEqual(['refund']);
  });

  it('log a broken edit once, not at every draft, and take the next edit', async () => {
    const file = path.join(temp.dir, 'broken-review.yaml');
    await write(file, rule('refund', 'refund'));
    const warnings: unknown[] = [];
    const rules = await ReviewRulesFile.load([file], 0.5, { warn: (...args: unknown[]) => warnings.push(args), info: () => undefined } as never);
    await write(file, 'categories: [not, a, map');
    for (let draft = 0; draft < 5; draft++) await rules.refresh();
    expect(warnings).toHaveLength(1);
    expect(codes(rules, 'a refund')).toEqual(['refund']);
    await write(file, rule('pin_request', 'service\\s+PIN'));
    await rules.refresh();
    expect(codes(rules, 'a service PIN')).toEqual(['pin_request']);
  });

  it('refuse to start without a readable rules file', async () => {
    await expect(ReviewRulesFile.load([path.join(temp.dir, 'missing.yaml')], 0.5)).rejects.toThrow(/missing\.yaml/);
  });
});
