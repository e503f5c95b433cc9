// ESLint (flat config) for `npm run lint`, run from the repository root as
// `eslint -c test/lint/eslint.config.mjs`: the repository's top level is fixed, so the config lives here.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `no-restricted-imports` for one layer: what its files may not import, and why. */
const forbid = (why, patterns, paths = []) => ({
  'no-restricted-imports': ['error', { paths: paths.map((name) => ({ name, message: why })), patterns: [{ group: patterns, message: why }] }],
});

export default tseslint.config(
  { basePath: root },
  { ignores: ['dist/**', 'coverage/**', 'test-output/**', 'test/e2e/harness/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      // node:test's it/describe return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['it', 'describe', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      // `const { dropped: _, ...rest } = x` is how a property is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }],
      // The keyless method's stack is a plain require: the CLI's build points it at dist/sigstore.js (esbuild.mjs).
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^\\./sigstoreStack$'] }],
    },
  },
  // Plain JavaScript (the build script, this config, the e2e suite's fake GitHub auth extension) is outside
  // tsconfig's project: linted without types, with Node's globals.
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.mjs'], languageOptions: { globals: { URL: 'readonly', process: 'readonly', console: 'readonly' } } },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', exports: 'writable', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The layers (README, "Layout"): imports go one way. test/unit/layers.test.ts checks the order inside core.
  {
    files: ['src/core/**/*.ts'],
    rules: forbid(
      'src/core knows nothing of VS Code, the CLI, the extension or the worker.',
      ['**/cli/**', '**/extension/**', '**/worker/**', '**/webview/**'],
      ['vscode'],
    ),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: forbid('The CLI is a shell over src/core: no VS Code, no extension code.', ['**/extension/**', '**/webview/**'], ['vscode']),
  },
  { files: ['src/extension/**/*.ts'], rules: forbid('The extension is a shell over src/core: no CLI code.', ['**/cli/**']) },
  {
    files: ['src/worker/**/*.ts'],
    rules: forbid(
      'The worker only hashes: node built-ins, core/errors and core/hashing.',
      ['../core/*', '!../core/errors', '!../core/hashing', '../cli/**', '../extension/**'],
      ['vscode'],
    ),
  },
  // Matching control characters is what these files are for (escaping untrusted text, and its tests).
  { files: ['src/core/display.ts', 'test/helpers/unsafeText.ts'], rules: { 'no-control-regex': 'off' } },
  prettier,
);
