/**
 * The XML WeChat and WeCom send and accept: one `<xml>` element of flat fields, text in CDATA. Only the
 * top-level fields are read (nested ones such as `<Video>` come back as their inner markup); no DTDs, no
 * entities beyond the five predefined ones, so a hostile body cannot expand or reach out. Linear time.
 */
export type WechatXml = Record<string, string>;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_match, name: string) => ENTITIES[name]!);
}

export class WechatXmlError extends Error {
  override name = 'WechatXmlError';
}

export function parseWechatXml(text: string): WechatXml {
  const start = text.indexOf('<xml>');
  const end = text.lastIndexOf('</xml>');
  if (start < 0 || end < start) throw new WechatXmlError('not a WeChat XML message');
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new WechatXmlError('DTDs are not accepted');
  const fields: WechatXml = {};
  let at = start + 5;
  while (at < end) {
    const open = text.indexOf('<', at);
    if (open < 0 || open >= end) break;
    const close = text.indexOf('>', open);
    if (close < 0) throw new WechatXmlError('unterminated tag');
    const name = text.slice(open + 1, close);
    if (!/^[A-Za-z_][\w.-]*$/.test(name)) throw new WechatXmlError(`unexpected markup <${name.slice(0, 20)}>`);
    const closing = `</${name}>`;
    // Field values are CDATA (which may contain "<") or plain text; a CDATA section is skipped whole.
    let cursor = close + 1;
    let value = '';
    for (;;) {
      const cdata = text.startsWith('<![CDATA[', cursor) ? cursor : -1;
      if (cdata === cursor) {
        const cdataEnd = text.indexOf(']]>', cursor + 9);
        if (cdataEnd < 0) throw new WechatXmlError('unterminated CDATA');
        value += text.slice(cursor + 9, cdataEnd);
        cursor = cdataEnd + 3;
        continue;
      }
      if (text.startsWith(closing, cursor)) break;
      const next = text.indexOf('<', cursor);
      if (next < 0) throw new WechatXmlError(`unterminated <${name}>`);
      if (text.startsWith(closing, next) || text.startsWith('<![CDATA[', next)) {
        value += decodeEntities(text.slice(cursor, next));
        cursor = next;
        continue;
      }
      // A nested element: kept as markup up to this field's closing tag.
      const nestedEnd = text.indexOf(closing, next);
      if (nestedEnd < 0) throw new WechatXmlError(`unterminated <${name}>`);
      value += text.slice(cursor, nestedEnd);
      cursor = nestedEnd;
    }
    fields[name] = value;
    at = cursor + closing.length;
  }
  return fields;
}

/** A CDATA section that survives any text: "]]>" inside is split across two sections. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

/** Builds `<xml>` from fields in order: numbers as plain text (bigint for 64-bit ids such as MsgId), strings in CDATA. */
export function buildWechatXml(fields: [string, string | number | bigint][]): string {
  return `<xml>${fields.map(([name, value]) => `<${name}>${typeof value === 'string' ? cdata(value) : value}</${name}>`).join('')}</xml>`;
}
