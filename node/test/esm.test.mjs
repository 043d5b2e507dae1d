// Loading through ESM: named imports and the default import of the CommonJS entry point
// (`fovea.js`, which re-exports the napi-rs loader `index.js` and adds readJsonl).

import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import fovea, { interpolate, boxAt, Sequence, ERROR_CODES, readJsonl, statsJsonl, JsonlReader, Store } from '../fovea.js'
import * as native from '../index.js'

const require = createRequire(import.meta.url)

test('named and default ESM imports are the CommonJS exports', () => {
  const cjs = require('..')
  assert.equal(fovea, cjs)
  assert.equal(interpolate, cjs.interpolate)
  assert.equal(boxAt, cjs.boxAt)
  assert.equal(Sequence, cjs.Sequence)
  assert.deepStrictEqual(ERROR_CODES, cjs.ERROR_CODES)
  assert.equal(readJsonl, cjs.readJsonl)
  assert.equal(statsJsonl, cjs.statsJsonl)
  assert.equal(Store, cjs.Store)
  // The addon's own exports are the same objects.
  assert.equal(native.Sequence, Sequence)
  assert.equal(native.JsonlReader, JsonlReader)
})

test('readJsonl through ESM: for await over a JSON Lines file', async () => {
  const file = new URL('../../testdata/interp/container-ship.jsonl', import.meta.url)
  const records = []
  for await (const record of readJsonl(fileURLToPath(file))) records.push(record)
  assert.equal(records.length, 1)
  const [{ line, type, data }] = records
  assert.deepStrictEqual([line, type], [1, 'annotation'])
  assert.equal(interpolate(data).length, 361)
  assert.equal((await statsJsonl(fileURLToPath(file))).frames, 361)
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

test('dynamic import of the package entry point', async () => {
  const mod = await import('../fovea.js')
  assert.equal(typeof mod.interpolate, 'function')
  assert.equal(typeof mod.readJsonl, 'function')
  assert.equal(mod.default.Sequence, Sequence)
})

test('Store through ESM: connect, import and read back', async () => {
  const store = await Store.connect('sqlite::memory:')
  assert.ok(store instanceof Store)
  assert.equal(store.backend, 'sqlite')
  const file = fileURLToPath(new URL('../../testdata/export/fovea-stored-annotations.jsonl', import.meta.url))
  const done = await store.import(file, { options: { conflictResolution: { missingDependencies: 'create-placeholder' } } })
  assert.equal(done.result.committed, true)
  assert.equal((await store.annotation('obj-1')).annotationType, 'object')
  await store.close()
})
