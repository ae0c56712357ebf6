import { describe, expect, it } from 'vitest';
import { contactDetails, handoffContactFor, handoffContactTexts } from '../../src/answer/handoff-contact.js';
import { messagesFor } from '../../src/answer/message-catalogue.js';
import { MESSAGES } from '../../src/answer/messages.js';
import { ConfigError, handoffContacts, loadConfig } from '../../src/config/config.js';
import { maskPiiKeeping } from '../../src/privacy/pii.js';
import { identifyLanguage, TRANSLATED_LANGUAGES } from '../../src/text/language.js';
import { workspaceConfig } from '../../src/workspaces/workspace-config.js';
import { workspaceSettings } from '../../src/workspaces/workspace-registry.js';

/**
 * The hand-off contact in the customer's language. Before, every language but Chinese got HANDOFF_CONTACT_EN spliced
 * into its sentence: "Si no, puede contactar con a human agent: call +1-800-555-0142 …".
 */
const deployment = loadConfig({});
const contacts = handoffContacts(deployment);
const ENGLISH_PHRASE = 'a human agent';

describe('the contact a customer is given', () => {
  it('is "our support team" in Spanish with the English contact’s number and address when Spanish has none of its own', () => {
    const refusal = messagesFor('es').refusal(handoffContactFor(contacts, 'es'));
    expect(refusal).toContain('ponerse en contacto con nuestro equipo de atención al cliente: +1-800-555-0142, support@lumora.example.');
    expect(refusal).not.toContain(ENGLISH_PHRASE);
    expect(identifyLanguage(refusal)).toBe('es');
    const suggest = messagesFor('es').suggest(['How long does charging take?'], handoffContactFor(contacts, 'es'));
    expect(suggest.split('\n').at(-1)).toBe('Si no, puede contactar con nuestro equipo de atención al cliente: +1-800-555-0142, support@lumora.example.');
  });

  it('is the Spanish contact the company gave, when it gave one', () => {
    const own = handoffContacts(loadConfig({ HANDOFF_CONTACT_ES: 'nuestro equipo en España: llame al +34 900 123 456' }));
    expect(handoffContactFor(own, 'es')).toBe('nuestro equipo en España: llame al +34 900 123 456');
    expect(messagesFor('es').detailsHandoff(handoffContactFor(own, 'es'))).toBe(
      ' Lo revisaremos en cuanto tengamos esos datos; también puede ponerse en contacto con nuestro equipo en España: llame al +34 900 123 456.',
    );
    // Other languages without their own keep the fallback.
    expect(handoffContactFor(own, 'pt')).toBe('a nossa equipa de apoio ao cliente: +1-800-555-0142, support@lumora.example');
  });

  it('is Arabic in an Arabic sentence, with the number and address as they are', () => {
    const refusal = messagesFor('ar').refusal(handoffContactFor(contacts, 'ar'));
    expect(refusal).toContain('التواصل مع خدمة العملاء: +1-800-555-0142، support@lumora.example.');
    expect(refusal).not.toContain(ENGLISH_PHRASE);
    expect(identifyLanguage(refusal)).toBe('ar');
  });

  it('never leaves an English phrase in a translated language, and keeps the number and address in every one', () => {
    for (const lang of TRANSLATED_LANGUAGES) {
      const contact = handoffContactFor(contacts, lang);
      expect(contact, lang).not.toMatch(/agent|call|email/);
      expect(contact, lang).toContain('+1-800-555-0142');
      expect(contact, lang).toContain('support@lumora.example');
    }
  });

  it('leaves Chinese and English as they were, and gives English to a language without texts', () => {
    expect(messagesFor('zh').refusal(handoffContactFor(contacts, 'zh'))).toBe(MESSAGES.refusal.zh(deployment.HANDOFF_CONTACT_ZH));
    expect(messagesFor('en').refusal(handoffContactFor(contacts, 'en'))).toBe(MESSAGES.refusal.en(deployment.HANDOFF_CONTACT_EN));
    expect(handoffContactFor(contacts, 'it')).toBe(deployment.HANDOFF_CONTACT_EN);
  });

  it('is "our support team" alone when the English contact has no number, address or link', () => {
    const plain = handoffContacts(loadConfig({ HANDOFF_CONTACT_EN: 'a person through the chat button' }));
    expect(handoffContactFor(plain, 'de')).toBe('unseren Kundenservice');
  });
});

describe('the details taken from a contact line', () => {
  it('are its phone numbers, e-mail addresses and links, without opening hours or sentence punctuation', () => {
    expect(contactDetails(deployment.HANDOFF_CONTACT_EN)).toEqual(['+1-800-555-0142', 'support@lumora.example']);
    expect(contactDetails(deployment.HANDOFF_CONTACT_ZH)).toEqual(['400-820-1234', 'support@lumora.example']);
    expect(contactDetails('See https://help.x.example/contact, call (021) 6234 5678 or +44 20 7946 0958 (Mon–Fri 9:00–17:00).')).toEqual([
      'https://help.x.example/contact',
      '(021) 6234 5678',
      '+44 20 7946 0958',
    ]);
    expect(contactDetails('our team, 9am to 5pm, ticket desk on floor 12')).toEqual([]);
  });
});

describe('HANDOFF_CONTACT_<LANG>', () => {
  it('is read for every translated language, and Chinese and English keep their defaults', () => {
    const config = loadConfig({ HANDOFF_CONTACT_ES: 'nuestro equipo', HANDOFF_CONTACT_AR: 'فريقنا', HANDOFF_CONTACT_FR: '' });
    expect(handoffContacts(config)).toEqual({ zh: deployment.HANDOFF_CONTACT_ZH, en: deployment.HANDOFF_CONTACT_EN, es: 'nuestro equipo', ar: 'فريقنا' });
  });

  it('stops start-up for a language the service has no texts in', () => {
    expect(() => loadConfig({ HANDOFF_CONTACT_IT: 'il nostro team' })).toThrow(ConfigError);
    expect(() => loadConfig({ HANDOFF_CONTACT_IT: 'il nostro team' })).toThrow(/HANDOFF_CONTACT_IT.*HANDOFF_CONTACT_EN/);
  });
});

describe("a workspace's handoffContact", () => {
  it('takes any contact language and overrides the deployment per language', () => {
    const settings = workspaceSettings.parse({ handoffContact: { es: 'el equipo de Marca B', en: 'the Brand B desk' } });
    const derived = workspaceConfig(loadConfig({ HANDOFF_CONTACT_AR: 'فريقنا' }), { id: 'default', settings });
    expect(handoffContacts(derived)).toEqual({ zh: deployment.HANDOFF_CONTACT_ZH, en: 'the Brand B desk', es: 'el equipo de Marca B', ar: 'فريقنا' });
  });

  it('refuses a language the service has no texts in', () => {
    expect(workspaceSettings.safeParse({ handoffContact: { it: 'il team' } }).success).toBe(false);
  });
});

describe('a stored answer masked for personal data', () => {
  const mask = maskPiiKeeping(handoffContactTexts(handoffContacts(loadConfig({ HANDOFF_CONTACT_AR: 'فريقنا على الرقم +971 4 123 4567' }))));

  it('keeps the number and address of a Spanish refusal, and masks the customer’s', () => {
    const refusal = messagesFor('es').refusal(handoffContactFor(contacts, 'es'));
    expect(mask(refusal)).toBe(refusal);
    expect(mask(`Mi teléfono es +34 612 345 678. ${refusal}`)).toBe(`Mi teléfono es [phone]. ${refusal}`);
  });

  it("keeps a language's own contact", () => {
    const refusal = messagesFor('ar').refusal('فريقنا على الرقم +971 4 123 4567');
    expect(mask(refusal)).toBe(refusal);
  });
});
