import { describe, expect, it } from 'vitest';
import { WechatCryptoError, WechatMessageCrypto, signatureMatches, wechatSignature } from '../../src/channels/wechat-crypto.js';
import { buildWechatXml, parseWechatXml } from '../../src/channels/wechat-xml.js';

/**
 * WXBizMsgCrypt as WeChat and WeCom document it, checked with the documentation's own sample values
 * (developer.work.weixin.qq.com/document/path/90968, "加解密方案说明": Token QDG6eK, EncodingAESKey
 * jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C, receiver wx5823bf96d3bd56c7). The Official Account's safe mode
 * uses the same algorithm with the AppID as the receiver.
 */
const sample = new WechatMessageCrypto('QDG6eK', 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', 'wx5823bf96d3bd56c7');
const verifyEcho = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
const sampleEncrypt =
  'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';

describe('the documentation sample values', () => {
  it('verifies the callback URL: msg_signature over the encrypted echostr, decrypted to the published plaintext', () => {
    expect(sample.verify('5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', '1409659589', '263014780', verifyEcho)).toBe(true);
    expect(sample.decrypt(verifyEcho)).toBe('1616140317555161061');
  });

  it('verifies and decrypts the sample message', () => {
    expect(sample.verify('477715d11cdb4164915debcba66cb864d751f3e6', '1409659813', '1372623149', sampleEncrypt)).toBe(true);
    const message = parseWechatXml(sample.decrypt(sampleEncrypt));
    expect(message).toMatchObject({
      ToUserName: 'wx5823bf96d3bd56c7',
      FromUserName: 'mycreate',
      CreateTime: '1409659813',
      MsgType: 'text',
      Content: 'hello',
      MsgId: '4561255354251345929',
      AgentID: '218',
    });
  });

  it('refuses a changed timestamp, a tampered ciphertext and another receiver', () => {
    expect(sample.verify('477715d11cdb4164915debcba66cb864d751f3e6', '1409659814', '1372623149', sampleEncrypt)).toBe(false);
    // CBC has no integrity of its own: the signature over the ciphertext is what catches tampering.
    const tampered = Buffer.from(sampleEncrypt, 'base64');
    tampered[40] ^= 1;
    expect(sample.verify('477715d11cdb4164915debcba66cb864d751f3e6', '1409659813', '1372623149', tampered.toString('base64'))).toBe(false);
    expect(() => sample.decrypt(sampleEncrypt.slice(0, 40))).toThrow(WechatCryptoError);
    const other = new WechatMessageCrypto('QDG6eK', 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', 'wx0000000000000000');
    expect(() => other.decrypt(sampleEncrypt)).toThrow(/another receiver/);
  });
});

describe('encryption', () => {
  it('round-trips Chinese text and pads to 32-byte blocks as the reference implementations do', () => {
    for (const text of ['', '你好', 'a'.repeat(31), 'x'.repeat(32), '<xml><Content><![CDATA[手环能戴着游泳吗？]]></Content></xml>']) {
      const encrypted = sample.encrypt(text);
      expect(Buffer.from(encrypted, 'base64').length % 32).toBe(0);
      expect(sample.decrypt(encrypted)).toBe(text);
    }
  });

  it('the Official Account plaintext-mode signature is SHA-1 over the sorted token, timestamp and nonce', () => {
    // printf '13726231491409659813QDG6eK' | sha1sum (the three sorted as strings), computed outside this code.
    expect(wechatSignature('QDG6eK', '1409659813', '1372623149')).toBe('d2157f2f9079f4d6257b45edf665c43c62e60a0a');
    expect(wechatSignature('1372623149', 'QDG6eK', '1409659813')).toBe('d2157f2f9079f4d6257b45edf665c43c62e60a0a');
    expect(signatureMatches(undefined, wechatSignature('a'))).toBe(false);
    expect(signatureMatches('short', wechatSignature('a'))).toBe(false);
  });
});

describe('WeChat XML', () => {
  it('reads CDATA and plain fields, keeps nested markup, and builds what it reads', () => {
    const xml = buildWechatXml([
      ['ToUserName', 'o]]>x'],
      ['CreateTime', 1407743423],
      ['Content', '<b>&amp;</b>'],
    ]);
    expect(parseWechatXml(xml)).toEqual({ ToUserName: 'o]]>x', CreateTime: '1407743423', Content: '<b>&amp;</b>' });
    expect(parseWechatXml('<xml><A>1 &lt; 2</A><Video><MediaId><![CDATA[m]]></MediaId></Video></xml>')).toEqual({ A: '1 < 2', Video: '<MediaId><![CDATA[m]]></MediaId>' });
  });

  it('refuses DTDs (no entity expansion) and non-XML', () => {
    expect(() => parseWechatXml('<!DOCTYPE x [<!ENTITY a "b">]><xml><A>&a;</A></xml>')).toThrow(/DTD/);
    expect(() => parseWechatXml('{"json": true}')).toThrow();
  });
});
