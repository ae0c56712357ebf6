// Bundles the widget (src/web/widget/main.ts) into dist/widget.js and reports its gzipped size.
import { mkdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

mkdirSync('dist', { recursive: true });
await build({
  entryPoints: ['src/web/widget/main.ts'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  outfile: 'dist/widget.js',
  legalComments: 'none',
});
const code = readFileSync('dist/widget.js');
console.log(`dist/widget.js: ${(code.length / 1024).toFixed(1)} KB, ${(gzipSync(code).length / 1024).toFixed(1)} KB gzipped`);
