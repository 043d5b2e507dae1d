'use strict'
// ESLint (flat config) for the hand-written JavaScript of the repository: the Node package
// (fovea.js, its tests, the example server), its benchmark (benches/), the JavaScript half of
// the binding's conversions (bindings/node/src/convert.js) and the BullMQ peers of the interop
// tests (interop/). `npm run lint` lints them all from the repository root with this file as
// `--config`; `npx eslint .` here lints node/ alone. scripts/test-node runs `npm run lint`.
// TypeScript (fovea.d.ts, test/types.ts) is checked by tsc instead.

const js = require('@eslint/js')
const globals = require('globals')

module.exports = [
  {
    // Generated: index.js (and index.d.ts) by `napi build`; .readme-*.mjs by test/readme.test.js
    // (removed after the run). 'index.js' is node/index.js when linting from node/ itself.
    ignores: ['index.js', 'node/index.js', '**/.readme-*.mjs', '**/node_modules/', '**/.venv/'],
  },
  js.configs.recommended,
  {
    rules: {
      'no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    ignores: ['**/*.mjs', 'bindings/node/src/convert.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    // ES modules: Node's globals without require/module/exports/__dirname.
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.nodeBuiltin },
  },
  {
    // Evaluated as a plain script by the addon (its completion value is the helpers): Node's
    // globals, but no require/module/exports.
    files: ['bindings/node/src/convert.js'],
    languageOptions: { sourceType: 'script', globals: globals.nodeBuiltin },
  },
]
