import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '../../src/config/config.js';
import { CLI_ONLY_VARIABLES, CONFIGURATION_DOCS, renderConfigurationDocs } from '../../src/config/configuration-docs.js';
import { SETTING_GROUPS } from '../../src/config/settings-docs.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('configuration docs are generated from the settings schema', () => {
  it('describes every setting of the schema exactly once, and nothing the schema lacks', () => {
    const described = SETTING_GROUPS.flatMap((group) => group.settings.flatMap((setting) => setting.names));
    expect(described.filter((name, index) => described.indexOf(name) !== index)).toEqual([]);
    expect(SETTING_NAMES.filter((name) => !described.includes(name))).toEqual([]);
    expect(described.filter((name) => !SETTING_NAMES.includes(name))).toEqual([]);
    for (const group of SETTING_GROUPS) for (const setting of group.settings) expect(setting.meaning.trim(), setting.names.join()).not.toBe('');
  });

  it('docs/configuration.md is what the schema and the descriptions generate today (run `npm run docs:config` after changing either)', () => {
    expect(readFileSync(CONFIGURATION_DOCS, 'utf8')).toBe(renderConfigurationDocs());
  });

  it('every process.env read names a setting or a documented command-line variable', async () => {
    const { stdout } = await promisify(execFile)('git', ['grep', '-h', '-o', '-E', 'process\\.env\\.[A-Z0-9_]+', '--', 'src', 'ingest', 'eval', 'bench'], { cwd: root });
    const read = [
      ...new Set(
        stdout
          .split('\n')
          .filter(Boolean)
          .map((match) => match.replace('process.env.', '')),
      ),
    ];
    const documented = new Set([...SETTING_NAMES, ...CLI_ONLY_VARIABLES.map((variable) => variable.name)]);
    expect(read.filter((name) => !documented.has(name))).toEqual([]);
    // The ones only the command line tools read are the ones listed: none is missing, none is stale.
    const cliOnly = read.filter((name) => !SETTING_NAMES.includes(name)).sort();
    expect(cliOnly).toEqual(
      CLI_ONLY_VARIABLES.map((variable) => variable.name)
        .filter((name) => !SETTING_NAMES.includes(name) && name !== 'AWS_*')
        .sort(),
    );
  });
});
