import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Tencent's callback signing and "safe mode" message encryption (WXBizMsgCrypt), shared by WeChat Official
 * Accounts (encrypt_type=aes) and WeCom (msg_signature): one algorithm, published with sample values that
 * test/unit/wechat-crypto.test.ts checks.
 *
 * Signature: SHA-1 of the sorted, concatenated strings (token, timestamp, nonce, and the ciphertext when there is one).
 * Ciphertext: Base64(AES-256-CBC(random 16 bytes | message length, 4 bytes big-endian | message | receiver id)),
 * key = Base64(EncodingAESKey + "="), IV = the key's first 16 bytes, PKCS#7 padding to 32-byte blocks
 * (not AES's 16: the reference implementations pad to 32, and some platforms reject anything else).
 */
export function wechatSignature(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** Constant-time comparison of a presented signature with the expected one. */
export function signatureMatches(presented: string | undefined, expected: string): boolean {
  if (typeof presented !== 'string' || presented.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(presented.toLowerCase()), Buffer.from(expected));
}

export class WechatCryptoError extends Error {
  override name = 'WechatCryptoError';
}

const BLOCK = 32;

export class WechatMessageCrypto {
  private readonly key: Buffer;
  private readonly iv: Buffer;

  constructor(
    readonly token: string,
    encodingAesKey: string,
    /** The AppID (Official Account) or CorpID (WeCom) the messages must name. */
    readonly receiverId: string,
  ) {
    if (!/^[A-Za-z0-9]{43}$/.test(encodingAesKey)) throw new WechatCryptoError('EncodingAESKey must be 43 letters and digits');
    this.key = Buffer.from(`${encodingAesKey}=`, 'base64');
    if (this.key.length !== 32) throw new WechatCryptoError('EncodingAESKey does not decode to 32 bytes');
    this.iv = this.key.subarray(0, 16);
  }

  sign(timestamp: string, nonce: string, encrypted: string): string {
    return wechatSignature(this.token, timestamp, nonce, encrypted);
  }

  verify(signature: string | undefined, timestamp: string, nonce: string, encrypted: string): boolean {
    return signatureMatches(signature, this.sign(timestamp, nonce, encrypted));
  }

  /** The plaintext of a verified ciphertext; throws when it does not decrypt or names another receiver. */
  decrypt(encrypted: string): string {
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv);
      decipher.setAutoPadding(false);
      plain = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
    } catch (error) {
      throw new WechatCryptoError(`ciphertext does not decrypt: ${(error as Error).message}`);
    }
    const pad = plain.at(-1) ?? 0;
    if (pad < 1 || pad > BLOCK || pad > plain.length) throw new WechatCryptoError('bad padding');
    plain = plain.subarray(0, plain.length - pad);
    if (plain.length < 20) throw new WechatCryptoError('ciphertext too short');
    const length = plain.readUInt32BE(16);
    if (20 + length > plain.length) throw new WechatCryptoError('bad message length');
    const message = plain.subarray(20, 20 + length).toString('utf8');
    const receiver = plain.subarray(20 + length).toString('utf8');
    if (receiver !== this.receiverId) throw new WechatCryptoError('message is for another receiver');
    return message;
  }

  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const plain = Buffer.concat([random, length, body, Buffer.from(this.receiverId, 'utf8')]);
    const pad = BLOCK - (plain.length % BLOCK);
    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
  }
}
