// Lint: typescript-eslint's recommended rules that use type information, over every TypeScript file the
// project compiles. Formatting is Prettier's job, so no stylistic rules are turned on here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Generated code (`npm run schema`) is checked by the tests that compare it with its source, not linted.
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/sim/out/', 'test/bench/out/', 'functions/**/*.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // An unused value is a mistake; an argument kept for a port's shape, named with a leading _, is not.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // A test double implements an async port with an async function whatever its body awaits.
      '@typescript-eslint/require-await': 'off',
      // Vitest's asymmetric matchers (expect.any, expect.stringMatching, expect.closeTo …) and supertest's
      // response bodies are typed any by their libraries; assertions on them are what tests are for.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
