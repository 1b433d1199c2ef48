// Layering (DESIGN.md "Layout"): core/ is framework-free; renderer/ sees only the DeskApi types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbiddenInCore = {
  paths: [
    { name: 'electron', message: 'core/ runs outside Electron: inject what you need from electron/.' },
    { name: 'react', message: 'core/ has no UI.' },
    { name: 'react-dom', message: 'core/ has no UI.' },
    { name: 'fastify', message: 'core/ holds no server code.' },
  ],
  patterns: [
    { group: ['electron/*', 'react/*', 'react-dom/*', 'fastify/*'], message: 'core/ imports no framework.' },
    {
      group: ['**/electron/**', '**/renderer/**', '**/server/**', '**/cli/**'],
      message: 'core/ imports no other top-level folder (electron/, renderer/, server/, cli/).',
    },
  ],
};

// server/ (the hub) builds on core/ and is built on by nothing: no desk shell, no UI, no CLI.
const forbiddenInServer = {
  paths: [
    { name: 'electron', message: 'server/ runs without Electron.' },
    { name: 'react', message: 'server/ renders no React.' },
    { name: 'react-dom', message: 'server/ renders no React.' },
  ],
  patterns: [
    { group: ['**/electron/**', '**/renderer/**', '**/cli/**'], message: 'server/ imports only core/ among the top-level folders.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.scratch/**', 'artifacts/**', 'cache/**', 'out/**', 'dist/**', 'test-output/**', 'bin/**', 'scripts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['core/**/*.ts'], rules: { 'no-restricted-imports': ['error', forbiddenInCore] } },
  { files: ['server/**/*.ts'], rules: { 'no-restricted-imports': ['error', forbiddenInServer] } },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)core/(?!api/)', message: 'renderer/ talks to the desk only through the DeskApi (core/api).' },
            { regex: '(^|/)core/api/', allowTypeImports: true, message: 'renderer/ imports only types from core/api.' },
            { group: ['**/electron/**', '**/server/**', '**/cli/**'], message: 'renderer/ imports no host code.' },
          ],
        },
      ],
    },
  },
);
