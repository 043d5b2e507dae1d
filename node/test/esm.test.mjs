// Loading through ESM: named imports and the default import of the CommonJS loader.

import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fovea, { interpolate, boxAt, Sequence, ERROR_CODES } from '../index.js'

const require = createRequire(import.meta.url)

test('named and default ESM imports are the CommonJS exports', () => {
  const cjs = require('..')
  assert.equal(fovea, cjs)
  assert.equal(interpolate, cjs.interpolate)
  assert.equal(boxAt, cjs.boxAt)
  assert.equal(Sequence, cjs.Sequence)
  assert.deepStrictEqual(ERROR_CODES, cjs.ERROR_CODES)
})

test('the addon works through ESM', () => {
  const data = {
    boxes: [
      { x: 0, y: 0, width: 10, height: 10, frameNumber: 0 },
      { x: 10, y: 0, width: 10, height: 10, frameNumber: 10 },
    ],
  }
  assert.equal(interpolate(data).length, 11)
  assert.equal(boxAt(data, 4).x, 4)
  const seq = new Sequence(data)
  assert.ok(seq instanceof Sequence)
  assert.deepStrictEqual(seq.span, [0, 10])
  assert.throws(() => seq.at(-1), { code: 'frame-negative', path: 'frame' })
})

test('dynamic import of the package directory entry point', async () => {
  const mod = await import('../index.js')
  assert.equal(typeof mod.interpolate, 'function')
  assert.equal(mod.default.Sequence, Sequence)
})
