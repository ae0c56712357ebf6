import { describe, expect, it } from 'vitest';
import { sourceSpec } from '../../src/ingest/sources/source-config.js';

/** A Freshdesk source's translations: each language code once, whatever its case (each is a list to read and a set of documents). */
describe('a Freshdesk source’s languages', () => {
  const spec = (languages: string[]) => sourceSpec.safeParse({ id: 'helpdesk', type: 'freshdesk', baseUrl: 'https://acme.freshdesk.com', languages });

  it('are each listed once, in any case, and only as language codes', () => {
    expect(spec(['zh-CN', 'fr']).success).toBe(true);
    expect(spec(['zh-CN', 'zh-cn']).success).toBe(false);
    expect(spec(['fr', 'fr']).success).toBe(false);
    expect(spec(['../admin']).success).toBe(false);
  });
});
