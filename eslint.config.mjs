// ESLint's rules for every TypeScript file of the project, after the JupyterLab extension
// template's choice of rule sets; formatting is prettier's (through eslint-plugin-prettier).
import js from '@eslint/js';
import jupyter from '@jupyter/eslint-plugin';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Build output, dependencies, virtualenvs and test reports are not ours to lint.
    ignores: [
      '**/node_modules/',
      'lib/',
      // The test command's venvs and bench/.venv (JupyterLab's schemas and bundles inside).
      '**/.venv/',
      '**/.venv-*/',
      '.cache/',
      'artifacts/',
      'jupyterlab_cgroup_usage/labextension/',
      'jupyterlab_cgroup_usage/sidecar/',
      '**/*.js',
      '**/*.d.ts'
    ]
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  jupyter.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: { ...globals.browser, ...globals.node }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      curly: ['error', 'all'],
      eqeqeq: ['error', 'smart'],
      'prefer-arrow-callback': 'error',
      // The extension ships no translations (no ITranslator), so every string would be flagged.
      'jupyter/no-untranslated-string': 'off',
      // Every module a plugin imports is needed at start-up: the plugins are small and autoStart.
      'jupyter/prefer-lazy-imports': 'off'
    }
  },
  {
    // JupyterLab's convention for the plugin's interfaces: a leading I. Not for sample.ts,
    // whose names are the sidecar's contract (docs/sidecar.md), nor for the Node.js code.
    files: ['src/**/*.ts', 'test/plugin/**/*.ts'],
    ignores: ['src/sample.ts'],
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        { selector: 'interface', format: ['PascalCase'], custom: { regex: '^I[A-Z]', match: true } }
      ]
    }
  },
  {
    // The browser tests drive a plain JupyterLab with Playwright, not Galata.
    files: ['ui-tests/**/*.ts'],
    rules: { 'jupyter/galata-prefer-menu-helper': 'off' }
  },
  {
    // enum keeps the schema as users' settings already know it; labels via oneOf would change the editor.
    files: ['schema/*.json'],
    rules: { 'jupyter/no-schema-enum': 'off' }
  },
  prettierRecommended
);
