import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'schema/', 'dist/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only the CLI may end the process; everything else reports through errors and events.
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'only harness/cli.ts exits the process' }],
    },
  },
  { files: ['harness/cli.ts'], rules: { 'no-restricted-properties': 'off' } },
);
