// The floors of docs/architecture.md are enforced by lint: these tests lint a crossing, given as
// text under the path of a real source file (so no fixture file sits in the tree for
// `eslint .` to trip on), through the repository's own ESLint config.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** The rule ids and messages lint reports for `text` as the file at `file`. */
async function lint(file: string, text: string): Promise<{ ruleId: string | null; message: string }[]> {
  const [result] = await eslint.lintText(text, { filePath: path.join(root, file) });
  return result!.messages.map(({ ruleId, message }) => ({ ruleId, message }));
}

const ruleIds = (messages: { ruleId: string | null }[]): (string | null)[] => messages.map((m) => m.ruleId);

describe('lint enforces the floors', () => {
  it('fails a pure-core file that imports the store, a driver or a Node built-in', async () => {
    const messages = await lint(
      'src/forecast/types.ts',
      [
        "import pg from 'pg';",
        "import { readFile } from 'node:fs/promises';",
        "import type { Db } from '../store/db.js';",
        'export const crossing: [unknown, unknown, Db | undefined] = [pg, readFile, undefined];',
      ].join('\n'),
    );
    assert.deepEqual(ruleIds(messages).sort(), [
      'import-x/no-restricted-paths',
      'no-restricted-imports',
      'no-restricted-imports',
    ]);
    assert.match(messages.find((m) => m.ruleId === 'import-x/no-restricted-paths')!.message, /pure core floor/);
  });

  // Each case imports one name from a floor the file's own floor may not reach.
  const crossings = [
    {
      what: 'an adapter importing an activity',
      file: 'src/store/models.ts',
      from: '../activities/backtest.js',
      name: 'createBacktestActivities',
      floor: 'adapters',
    },
    {
      what: 'the API importing an activity',
      file: 'src/api/routes/backtest.ts',
      from: '../../activities/backtest.js',
      name: 'createBacktestActivities',
      floor: 'api',
    },
    {
      what: 'a workflow importing an adapter',
      file: 'src/workflows/training.ts',
      from: '../infra/http-error.js',
      name: 'HttpError',
      floor: 'workflows',
    },
    {
      what: "the planner importing the sample service's parameters",
      file: 'src/planner/capacity.ts',
      from: '../sample-service/app-params.js',
      name: 'DEFAULT_APP_CONFIG',
      floor: 'pure core',
    },
    {
      what: "the boot release importing the sample service's workload, beyond its one allowed import",
      file: 'src/config/release.ts',
      from: '../sample-service/workload.js',
      name: 'KEY_SPACE',
      floor: 'pure core',
    },
  ];
  for (const c of crossings) {
    it(`fails ${c.what}`, async () => {
      const messages = await lint(
        c.file,
        `import { ${c.name} } from '${c.from}';\nexport const crossing = ${c.name};\n`,
      );
      assert.deepEqual(ruleIds(messages), ['import-x/no-restricted-paths']);
      assert.match(messages[0]!.message, new RegExp(`\\(${c.floor} floor`));
    });
  }

  it('fails an import cycle', async () => {
    // tuner.ts imports feasibility.ts; feasibility importing tuner back closes a cycle.
    const messages = await lint(
      'src/config/recommend/feasibility.ts',
      "import { proposeNext } from './tuner.js';\nexport const crossing = proposeNext;\n",
    );
    assert.deepEqual(ruleIds(messages), ['import-x/no-cycle']);
  });

  it('passes the real file the crossings were written over', async () => {
    const file = 'src/config/recommend/feasibility.ts';
    assert.deepEqual(await lint(file, await readFile(path.join(root, file), 'utf8')), []);
  });
});
