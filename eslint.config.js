// @ts-check
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

// Workflow code is replayed deterministically inside Temporal's sandbox and the pure core does no
// I/O: neither may reach the outside world, so Node built-ins and I/O libraries are banned in both
// (types are fine).
const ioModules = [
  'pg',
  'express',
  'pino',
  'prom-client',
  '@aws-sdk/*',
  '@electric-sql/*',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

// The floors of docs/architecture.md: a file imports only from its own floor and the ones below
// it. Each zone names a floor's folders (`target`) and what they must not import (`from`).
const core = ['domain', 'forecast', 'planner', 'canary', 'sim', 'config', 'plot', 'auth'];
const adapters = ['store', 'providers', 'infra', 'observability', 'config.ts', 'logger.ts', 'pretty-log.ts'];
const fleet = ['agent', 'sample-service', 'load'];
const top = ['workers', 'demo', 'cli'];
const src = (names) => names.map((n) => `./src/${n}`);
const floor = (name, target, from) => ({
  target: src(target),
  from: src(from),
  message: `(${name} floor; see docs/architecture.md)`,
});
const floorZones = [
  floor('engines', ['engines'], [...core, 'workflows', ...adapters, ...fleet, 'activities', 'api', ...top]),
  floor('pure core', core, ['workflows', ...adapters, 'agent', 'load', 'activities', 'api', ...top]),
  // domain is the vocabulary every floor shares, so it imports no other folder of the core.
  floor(
    'domain',
    ['domain'],
    core.filter((n) => n !== 'domain'),
  ),
  // Workflows may also import activity and store types: the workflow rules below allow those as types only.
  floor(
    'workflows',
    ['workflows'],
    [
      'engines',
      'providers',
      'infra',
      'observability',
      'config.ts',
      'logger.ts',
      'pretty-log.ts',
      ...fleet,
      'api',
      ...top,
    ],
  ),
  floor(
    'adapters',
    adapters.filter((n) => n !== 'providers'),
    ['workflows', ...fleet, 'activities', 'api', ...top],
  ),
  // The local cloud runs the sample service's processes, so it alone may know that app.
  floor('adapters', ['providers'], ['workflows', 'agent', 'load', 'activities', 'api', ...top]),
  floor('fleet', fleet, ['workflows', 'store', 'providers', 'observability', 'activities', 'api', ...top]),
  floor('activities', ['activities'], ['workflows', ...fleet, 'api', ...top]),
  floor('api', ['api'], ['activities', ...fleet, ...top]),
  floor('composition root', ['workers'], ['cli']),
];
// The core knows an app only through its profile. The one crossing left, listed so that no other
// can join it (docs/architecture.md, "Still crossing"): the boot release is the sample service's defaults.
const coreOffTheSampleService = floor('pure core', core, ['sample-service']);
const bootRelease = { ...coreOffTheSampleService, except: ['./app-params.ts'] };

export default tseslint.config(
  { ignores: ['node_modules/**', '.prescale/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Sources import './x.js' and mean './x.ts'. Without .ts among the extensions, the cycle
      // check would not follow imports into TypeScript files at all.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.js', '.json'], extensionAlias: { '.js': ['.ts', '.js'] } }),
      ],
    },
    rules: {
      // node:test's describe/it return promises that the runner itself tracks.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { basePath: import.meta.dirname, zones: [...floorZones, coreOffTheSampleService] },
      ],
      // The rule skips type-only imports (erased, they cannot cycle at run time). Packages import
      // none of our files, so not following them only saves time.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['src/config/release.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: [...floorZones, bootRelease] }],
    },
  },
  {
    // The pure core computes over plain data and does no I/O. Hashing (node:crypto) is
    // computation, so it stays allowed.
    files: src(core).map((dir) => `${dir.slice(2)}/**/*.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins
            .filter((name) => !/^(node:)?crypto$/.test(name))
            .map((name) => ({ name, message: 'The pure core does no I/O: no Node built-ins but node:crypto.' })),
          patterns: [
            { group: ioModules, message: 'The pure core does no I/O: no I/O libraries.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code must be deterministic: no Node built-ins.',
          })),
          patterns: [
            {
              group: ioModules,
              message: 'Workflow code must be deterministic: no I/O libraries.',
              allowTypeImports: true,
            },
            { group: ['**/activities/*'], message: 'Workflows import activity types only.', allowTypeImports: true },
            { group: ['**/store/*'], message: 'Workflows import store types only.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // Tests read untyped JSON bodies all the time; asserting on them is the point.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
