/**
 * API keys from the command line.
 *
 *   npm run keys:create -- --id shop-widget --scopes widget --origins https://shop.example[,…]
 *   npm run keys:create -- --id mail-relay --scopes integration
 *   npm run keys:create -- --id agent-assist --scopes widget --audiences public,agents
 *   npm run keys:list
 *   npm run keys:revoke -- --id shop-widget
 *   npm run keys:create -- --id brand-b-widget --scopes widget --workspace brand-b   (a created workspace's key)
 *   npm run keys:create -- --id ops --scopes operator                                 (manages workspaces; settings only)
 *
 * With `--server URL --key ADMIN_KEY` (or KEFU_SERVER / KEFU_ADMIN_KEY) the command goes to a running
 * service: the key is stored hashed in the shared state and every replica accepts (or, revoked, refuses) it
 * within seconds, no restart. `keys:create` without a server prints a new key and the entry for
 * API_KEYS_FILE / API_KEYS instead. `--origins '*'` allows any origin; none means server-side use only.
 * `--audiences` names what the key's answers may draw on (docs/audiences.md); none means the public documents only.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hashKey, type Scope } from '../src/http/access.js';
import { newApiKey } from '../src/http/key-registry.js';
import { WORKSPACE_HEADER } from '../src/http/workspace-access.js';
import { workspaceId } from '../src/workspaces/workspace-registry.js';
import { audienceList, keyAudiences, PUBLIC_AUDIENCE } from '../src/store/audiences.js';

const SCOPES: readonly string[] = ['widget', 'integration', 'admin', 'operator'] satisfies Scope[];
const [command = 'list', ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    id: { type: 'string' },
    scopes: { type: 'string', default: 'widget' },
    origins: { type: 'string', default: '' },
    audiences: { type: 'string' },
    server: { type: 'string' },
    key: { type: 'string' },
    'key-file': { type: 'string' },
    workspace: { type: 'string' },
  },
});
const server = values.server ?? process.env.KEFU_SERVER;
// npm prints a script's arguments: a key given as --key lands on screen and in CI logs. KEFU_ADMIN_KEY or --key-file do not.
if (values.key) process.stderr.write('keys: note: --key is echoed by npm and kept in shell history; prefer KEFU_ADMIN_KEY or --key-file\n');
const adminKey = values.key ?? (values['key-file'] ? readFileSync(values['key-file'], 'utf8').trim() : process.env.KEFU_ADMIN_KEY);
const fail = (message: string): never => {
  process.stderr.write(`keys:${command}: ${message}\n`);
  process.exit(2);
};

async function call(method: string, route: string, body?: unknown) {
  if (!server || !adminKey) fail('needs --server URL (or KEFU_SERVER) and an admin key: KEFU_ADMIN_KEY or --key-file FILE');
  const response = await fetch(new URL(route, server), { method, headers: { 'x-api-key': adminKey!, ...(values.workspace ? { [WORKSPACE_HEADER]: values.workspace } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  if (!response.ok) fail(`${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

if (command === 'create') {
  if (!values.id) fail('--id is required');
  const scopes = values.scopes!.split(',').map((scope) => scope.trim()).filter(Boolean);
  // integration: server-to-server intake (POST /v1/email), as the README's e-mail section asks for.
  if (!scopes.length || scopes.some((scope) => !SCOPES.includes(scope))) fail(`scopes are ${SCOPES.join(', ')} (comma-separated)`);
  const origins = values.origins!.split(',').map((origin) => origin.trim()).filter(Boolean);
  const workspace = values.workspace && values.workspace !== 'default' ? workspaceId.parse(values.workspace) : undefined;
  const parsedAudiences = values.audiences === undefined ? undefined : audienceList.safeParse(values.audiences);
  if (parsedAudiences && !parsedAudiences.success) fail(`--audiences: ${parsedAudiences.error.issues[0]?.message}`);
  const audiences = parsedAudiences?.data ? keyAudiences(parsedAudiences.data) : undefined;
  // A key for agents alone does not see the public documents: usually an agent-assist key wants both.
  if (audiences && !audiences.includes(PUBLIC_AUDIENCE)) process.stderr.write(`keys:create: note: this key sees ${audiences.join(', ')} documents only, not public ones; add "public" for an agent-assist key\n`);
  const audienceFields = audiences ? { audiences } : {};
  if (server) {
    // On a server the key joins the workspace the admin key acts in (an operator key names it).
    const created = await call('POST', '/v1/admin/keys', { id: values.id, scopes, origins, ...audienceFields });
    process.stdout.write(
      `key (shown once): ${created.key}\nid ${created.id}, scopes ${created.scopes.join(',')}, audiences ${created.audiences.join(',')}, origins ${created.origins.join(',') || '(server-side only)'}; live on every replica within seconds\n`,
    );
  } else {
    const key = newApiKey(scopes as Scope[]);
    process.stdout.write(`key (shown once): ${key}\nentry for API_KEYS_FILE / API_KEYS: ${JSON.stringify({ id: values.id, sha256: hashKey(key), scopes, origins, ...(workspace ? { workspace } : {}), ...audienceFields })}\n`);
  }
} else if (command === 'list') {
  const { keys } = await call('GET', '/v1/admin/keys');
  for (const key of keys) {
    process.stdout.write(`${key.revokedAt ? 'revoked' : 'active '}  ${key.id}  ${key.scopes.join(',')}  ${(key.audiences ?? ['public']).join(',')}  ${key.origins.join(',') || '-'}  (${key.source}${key.createdAt ? `, ${key.createdAt}` : ''})\n`);
  }
} else if (command === 'revoke') {
  if (!values.id) fail('--id is required');
  await call('DELETE', `/v1/admin/keys/${encodeURIComponent(values.id!)}`);
  process.stdout.write(`revoked ${values.id}: every replica refuses it within seconds\n`);
} else fail('commands: create, list, revoke');
