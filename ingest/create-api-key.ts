/**
 * `npm run keys:create -- --id shop-widget --scopes widget --origins https://shop.example[,https://…]`
 * Prints a new random API key (give it to the client once; it is not stored) and the JSON entry with its
 * sha256 to add to API_KEYS_FILE or API_KEYS. `--origins '*'` allows any origin; none means server-side only.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hashKey } from '../src/http/access.js';

const { values } = parseArgs({ options: { id: { type: 'string' }, scopes: { type: 'string', default: 'widget' }, origins: { type: 'string', default: '' } } });
if (!values.id) {
  process.stderr.write('keys:create: --id is required\n');
  process.exit(2);
}
const scopes = values.scopes!.split(',').map((scope) => scope.trim()).filter(Boolean);
if (scopes.some((scope) => scope !== 'widget' && scope !== 'admin')) {
  process.stderr.write('keys:create: scopes are widget and/or admin\n');
  process.exit(2);
}
const key = `kefu_${scopes.includes('admin') ? 'admin' : 'pub'}_${randomBytes(24).toString('base64url')}`;
const entry = { id: values.id, sha256: hashKey(key), scopes, origins: values.origins!.split(',').map((origin) => origin.trim()).filter(Boolean) };
process.stdout.write(`key (shown once): ${key}\nentry: ${JSON.stringify(entry)}\n`);
