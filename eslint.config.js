// Lint rules for the whole repository. CI runs `eslint --max-warnings 0`, so a warning fails.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// Native and platform bindings may be imported only by adapter files named after what they
// wrap (`*.keytar.ts`, `*.pouch.ts`, `*.amqp.ts`, `*.electron.ts`, ...), so each capability
// stays testable under plain Node and the swap of one binding stays cheap.
const adapterOnly = [
  {
    name: 'electron',
    message: 'Only *.electron.ts files and src/main/index.ts may import electron.',
  },
  { name: 'keytar', message: 'Only *.keytar.ts adapter files may import keytar.' },
  { name: '@azure/msal-node', message: 'Only *.msal.ts adapter files may import msal-node.' },
  { name: 'pouchdb-node', message: 'Only *.pouch.ts adapter files may import PouchDB.' },
  { name: 'express-pouchdb', message: 'Only *.pouch.ts adapter files may import PouchDB.' },
  { name: 'amqplib', message: 'Only *.amqp.ts adapter files may import amqplib.' },
  { name: 'better-sqlite3', message: 'Only *.sqlite.ts adapter files may import better-sqlite3.' },
  {
    name: 'better-sqlite3-multiple-ciphers',
    message: 'Only *.sqlite.ts adapter files may import SQLite.',
  },
  {
    name: 'native-reg',
    message: 'Only *.registry.ts adapter files may read the Windows registry.',
  },
  { name: 'plist', message: 'Only *.plist.ts adapter files may read property lists.' },
  {
    name: 'leveldown',
    message: 'Only *.leveldown.ts and *.pouch.ts adapter files may load LevelDB.',
  },
  {
    name: 'abstract-leveldown',
    message: 'Only *.leveldown.ts and *.pouch.ts adapter files may load LevelDB.',
  },
  { name: 'oidc-provider', message: 'Only *.oidc.ts adapter files may import oidc-provider.' },
  {
    name: 'koa',
    message: 'Only *.oidc.ts adapter files may import koa (oidc-provider runs on it).',
  },
];

// The same packages loaded without an import statement: `createRequire(import.meta.url)` then
// `require('leveldown')`, or `import('leveldown')`. A call with an argument naming an
// adapter-only package is one of those, whatever the function is called; `require.resolve`
// only finds where a package is installed (to sandbox a child process) and loads nothing.
// esquery regular expressions end at the first slash, so a scope's slash is written \u002F.
const adapterOnlyNames = adapterOnly.map((p) =>
  p.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('/', '\\u002F'),
);
const adapterOnlyPattern = `/^(${adapterOnlyNames.join('|')})(\\u002F.*)?$/`;
const adapterOnlyLoads = [
  {
    selector: `CallExpression:not([callee.property.name='resolve']) > Literal.arguments[value=${adapterOnlyPattern}]`,
    message:
      'Platform and native packages are loaded only by their adapter files (see adapterOnly).',
  },
  {
    selector: `ImportExpression > Literal.source[value=${adapterOnlyPattern}]`,
    message:
      'Platform and native packages are loaded only by their adapter files (see adapterOnly).',
  },
];

// Which folder may import which (docs/architecture.md, "Boundaries"). Paths are resolved first,
// so `../../src/main/x.js` and an alias both count.
const boundaryZones = [
  {
    target: 'src/renderer/**',
    from: ['src/main/**', 'src/preload/**', 'src/host/**', 'server/**'],
    message:
      'The reader runs in the renderer: it reaches main only through the preload verbs (src/shared/ipc.ts).',
  },
  {
    target: 'src/shared/**',
    from: ['src/main/**', 'src/preload/**', 'src/host/**', 'src/renderer/**', 'server/**'],
    message: 'src/shared is what both sides share; it imports neither side.',
  },
  {
    target: 'server/**',
    from: ['src/main/**', 'src/preload/**', 'src/host/**', 'src/renderer/**'],
    message: 'The server never imports the device; what both need lives in src/shared.',
  },
  {
    target: 'server/src/!(pipeline)/**',
    from: ['server/src/*.ts', 'server/src/pipeline/**'],
    message:
      'Capabilities never import the wiring (server.ts, main.ts, the CLIs, pipeline/): the wiring passes them what they need.',
  },
  {
    target: 'server/src/!(demo|pipeline)/**',
    from: ['server/src/demo/**'],
    message:
      'The product never imports the demo SOR or the development identity provider; the wiring (server.ts, pipeline/) plugs them in.',
  },
  {
    target: 'src/main/*/**',
    // Every file at the root of src/main is wiring; shared pieces live in a folder (events/).
    from: ['src/main/*.ts'],
    message:
      'Device capabilities never import the wiring (the files at the root of src/main: index.ts, composition-root.ts, device-auth.ts, managed-device.ts, config.ts).',
  },
];

export default tseslint.config(
  {
    ignores: [
      '.tmp/**',
      '.tools/**',
      // Apache CouchDB for the tests, extracted from ../shared/couchdb (tests/support).
      '.couchdb/**',
      'out/**',
      'dist/**',
      'release/**',
      'node_modules/**',
      '.data/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs', 'tests/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-definitions': ['error', 'type'],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx', 'server/src/**/*.ts'],
    ignores: [
      '**/*.electron.ts',
      'src/main/index.ts',
      'src/preload/**',
      '**/*.keytar.ts',
      '**/*.msal.ts',
      '**/*.pouch.ts',
      '**/*.amqp.ts',
      '**/*.sqlite.ts',
      '**/*.registry.ts',
      '**/*.plist.ts',
      '**/*.leveldown.ts',
      '**/*.encrypted-leveldown.ts',
      '**/*.oidc.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', { paths: adapterOnly }],
      'no-restricted-syntax': ['error', ...adapterOnlyLoads],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx', 'server/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        // tsconfig.json references the node and web projects, each with its own resolution.
        createTypeScriptImportResolver({ project: 'tsconfig.json' }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { basePath: import.meta.dirname, zones: boundaryZones },
      ],
    },
  },
  {
    files: ['tests/**', 'scripts/**', '*.config.ts', '*.config.js'],
    rules: { 'no-console': 'off' },
  },
  {
    // End-to-end specs run in both shells (Chromium and Electron) through the fixture; a spec
    // that took Playwright's own `test` would start no product, and in the electron project
    // would drive a browser tab instead of the app.
    files: ['tests/e2e/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@playwright/test',
              importNames: ['test', '_electron'],
              message:
                "Import { test, expect } from '../support/fixtures.js': it starts the product and opens the reader in the project's shell.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  prettier,
);
