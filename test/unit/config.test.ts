import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTING_NAMES } from '../../src/config/config.js';

describe('settings', () => {
  it('every setting is documented in docs/configuration.md (generated from the schema, see configuration-docs.test.ts)', () => {
    const docs = readFileSync('docs/configuration.md', 'utf8');
    const undocumented = SETTING_NAMES.filter((name) => !docs.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });

  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.LLM_BASE_URL).toBeUndefined();
    expect(config.LLM_CONTEXT_TOKENS).toBe(32_768);
    expect(Object.isFrozen(config)).toBe(true);
  });
  it('treats empty strings as unset and coerces numbers and booleans', () => {
    const config = loadConfig({ PORT: '8080', LLM_BASE_URL: '', EMBEDDING_ALLOW_REMOTE: 'yes' });
    expect(config.PORT).toBe(8080);
    expect(config.LLM_BASE_URL).toBeUndefined();
    expect(config.EMBEDDING_ALLOW_REMOTE).toBe(true);
  });
  it('REFUSAL_THRESHOLD sets both languages unless one is given explicitly', () => {
    expect(loadConfig({ REFUSAL_THRESHOLD: '0.7' })).toMatchObject({ REFUSAL_THRESHOLD_ZH: 0.7, REFUSAL_THRESHOLD_EN: 0.7 });
    expect(loadConfig({ REFUSAL_THRESHOLD: '0.7', REFUSAL_THRESHOLD_EN: '0.5' })).toMatchObject({ REFUSAL_THRESHOLD_ZH: 0.7, REFUSAL_THRESHOLD_EN: 0.5 });
  });
  it('fails fast naming every bad variable', () => {
    expect(() => loadConfig({ PORT: 'abc', LLM_CONTEXT_TOKENS: '999999' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'abc', LLM_CONTEXT_TOKENS: '999999' });
    } catch (error) {
      expect((error as Error).message).toMatch(/PORT/);
      expect((error as Error).message).toMatch(/LLM_CONTEXT_TOKENS/);
    }
  });
});
