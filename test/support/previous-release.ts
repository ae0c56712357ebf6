import { execFileSync, spawn } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Runs a script with an earlier commit's code (what an upgrade starts from), in a child process: `paths` of that
 * commit are extracted into `dir`, with this checkout's installed packages, and `script` (TypeScript, run there with
 * tsx) is given `env`. Resolves to what it printed on stdout; a non-zero exit rejects with the end of its stderr.
 * The earlier code imports what it imported then: `pdf-parse`, which the PDF loader used until it read pdf.js's
 * text positions itself (pdfjs-dist), stays a dev dependency for it.
 */
export async function runPreviousRelease(commit: string, dir: string, script: string, env: Record<string, string>, paths = ['src', 'package.json', 'tsconfig.json']): Promise<string> {
  await mkdir(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${commit} ${paths.join(' ')} | tar -x -C "${dir}"`]);
  await symlink(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  await writeFile(path.join(dir, 'previous-release-script.ts'), script);
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'previous-release-script.ts'], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`previous release ${commit} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}
