import { createDecipheriv, createHash } from 'node:crypto';

/**
 * Feishu (飞书) event subscription, per "事件订阅 → 配置请求地址": with an Encrypt Key every request carries
 * `X-Lark-Signature` = hex SHA-256 of timestamp + nonce + Encrypt Key + the raw body, and the body is
 * `{ "encrypt": base64(IV | AES-256-CBC(key = SHA-256(Encrypt Key), PKCS#7)) }` (the documentation's sample:
 * key "test key" decrypts "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=" to "hello world"). The URL check is a
 * `url_verification` event answered with its `challenge`; both it and every event carry the Verification Token.
 */
export function feishuDecrypt(encryptKey: string, encrypted: string): string {
  const raw = Buffer.from(encrypted, 'base64');
  if (raw.length < 32 || raw.length % 16 !== 0) throw new Error('ciphertext has a bad length');
  const decipher = createDecipheriv('aes-256-cbc', createHash('sha256').update(encryptKey).digest(), raw.subarray(0, 16));
  return Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]).toString('utf8');
}

export function feishuSignature(timestamp: string, nonce: string, encryptKey: string, body: string): string {
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey + body)
    .digest('hex');
}
