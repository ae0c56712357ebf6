import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemPrompt } from '../../src/answer/prompt.js';
import { formatCurrentTime, loadPromptTemplates, PromptTemplateError, regionName, validateTemplate } from '../../src/answer/prompt-templates.js';
import { loadProductLineRules } from '../../src/classify/product-lines.js';
import { answerLength, loadConfig } from '../../src/config/config.js';

const now = new Date('2026-12-01T12:30:00Z');

describe('system-prompt templates in knowledge/prompts', () => {
  it('fills time (in the customer zone), region, channel, product line and length in both languages', async () => {
    const templates = await loadPromptTemplates('knowledge/prompts');
    const rules = await loadProductLineRules('knowledge/product-lines.yaml');
    const base = { companyName: 'Lumora 朗曜科技', productLine: 'B', rules, handoffContact: 'support@lumora.example', templates };
    const zh = systemPrompt({ ...base, lang: 'zh', audience: { channel: 'widget', timeZone: 'Asia/Shanghai', region: 'CN', answerLength: { zh: 150, en: 80 }, now } });
    expect(zh).toContain('20:30'); // 12:30 UTC in Shanghai
    expect(zh).toContain('Asia/Shanghai');
    expect(zh).toContain('中国（CN）');
    expect(zh).toContain('网站在线客服窗口');
    expect(zh).toContain('B 健康穿戴');
    expect(zh).toContain('150 字');
    expect(zh).toContain('这一点我无法确认');
    expect(zh).not.toMatch(/\{\{|\}\}/);
    const en = systemPrompt({ ...base, lang: 'en', audience: { channel: 'email', timeZone: 'America/New_York', answerLength: { zh: 500, en: 250 }, now } });
    expect(en).toContain('7:30 AM');
    expect(en).toContain('Customer\'s region: not known');
    expect(en).toContain('e-mail');
    expect(en).toContain('at most 250 words');
    expect(en).toContain("I can't confirm this");
    expect(en).toContain('Product-line classification rules');
  });

  it('says when the customer time zone is not known, rather than implying one', () => {
    expect(formatCurrentTime(now, 'en')).toMatch(/12:30 PM \(UTC; the customer's time zone is not known\)/);
    expect(formatCurrentTime(now, 'zh')).toContain('顾客时区未知');
    expect(regionName('us', 'en')).toBe('United States (US)');
    expect(regionName(undefined, 'zh')).toBe('未知');
  });

  it('stops start-up on an unknown or broken placeholder, naming file, line and the known ones', async () => {
    expect(() => validateTemplate('Hello {{company_name}}\nNow: {{curent_time}}', 'system.en.md')).toThrow(/system\.en\.md:2: unknown placeholder \{\{curent_time\}\}; known: .*\{\{current_time\}\}/);
    expect(() => validateTemplate('Hello {{company_name}', 'system.zh.md')).toThrow(PromptTemplateError);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-prompts-'));
    try {
      await writeFile(path.join(dir, 'system.zh.md'), '你好 {{company_name}}');
      await expect(loadPromptTemplates(dir)).rejects.toThrow(/system\.en\.md cannot be read/);
      await writeFile(path.join(dir, 'system.en.md'), 'Hi {{ channel }} and {{region}}');
      await expect(loadPromptTemplates(dir)).rejects.toThrow(/system\.en\.md:1: unknown placeholder \{\{region\}\}/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads answer lengths per channel as "<characters>,<words>" and refuses anything else', () => {
    expect(answerLength(loadConfig({}).ANSWER_LENGTH_WIDGET)).toEqual({ zh: 150, en: 80 });
    expect(answerLength(loadConfig({ ANSWER_LENGTH_EMAIL: '400, 200' }).ANSWER_LENGTH_EMAIL)).toEqual({ zh: 400, en: 200 });
    expect(() => loadConfig({ ANSWER_LENGTH_API: '300' })).toThrow(/ANSWER_LENGTH_API/);
  });
});
