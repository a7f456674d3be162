// Lint rules for the whole repository. CI runs `eslint --max-warnings 0`, so a warning fails.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

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
];

export default tseslint.config(
  {
    ignores: [
      '.tmp/**',
      '.tools/**',
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
    ],
    rules: {
      'no-restricted-imports': ['error', { paths: adapterOnly }],
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
