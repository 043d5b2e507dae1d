'use strict'
// The shared fixtures of testdata/interp/, with the Rust runner's checks
// (fovea-core/tests/fixtures.rs): eval vectors, FOVEA's golden container-ship frames, edit
// vectors and bad-input errors.

const test = require('node:test')
const assert = require('node:assert/strict')
const { interpolate, boxAt, Sequence } = require('..')
const { fixture, assertSubset, expectCode } = require('./helpers')

function options(c) {
  return { profile: c.profile ?? 'default' }
}

/** The `at` checks: `seq.at(frame)` is a superset of `box` (or both are null). */
function checkAt(seq, checks, name) {
  for (const check of checks ?? []) {
    const got = seq.at(check.frame)
    assertSubset(got, check.box, `${name}: at(${check.frame})`)
  }
}

test('eval vectors', async (t) => {
  const cases = fixture('eval.json')
  assert.ok(cases.length > 0)
  for (const c of cases) {
    await t.test(c.name, () => {
      const seq = new Sequence(c.sequence, options(c))
      const boxes = seq.interpolate()
      for (let i = 1; i < boxes.length; i++) {
        assert.ok(boxes[i - 1].frameNumber <= boxes[i].frameNumber, 'ascending')
      }
      assert.equal(seq.frameCount, boxes.length, 'frameCount')
      if (c.count !== undefined) assert.equal(boxes.length, c.count, 'count')
      if (c.first !== undefined) assert.equal(boxes[0].frameNumber, c.first, 'first')
      if (c.last !== undefined) assert.equal(boxes[boxes.length - 1].frameNumber, c.last, 'last')
      for (const expected of c.frames ?? []) {
        const got = boxes.find((b) => b.frameNumber === expected.frameNumber)
        assert.ok(got, `frame ${expected.frameNumber} missing`)
        assertSubset(got, expected, `frame ${expected.frameNumber}`)
      }
      for (const f of c.absent ?? []) {
        assert.ok(boxes.every((b) => b.frameNumber !== f), `${f} present`)
      }
      for (const i of c.keyframeIndexes ?? []) {
        assert.equal(boxes[i].isKeyframe, true, `boxes[${i}] is a keyframe`)
      }
      // The columnar output carries the same frames and values.
      const { frames, boxes: values } = seq.toTypedArrays()
      assert.equal(frames.length, boxes.length)
      assert.equal(values.length, 4 * boxes.length)
      boxes.forEach((b, i) => {
        assert.equal(frames[i], b.frameNumber)
        assert.deepEqual([...values.subarray(4 * i, 4 * i + 4)], [b.x, b.y, b.width, b.height])
      })
      // Interpolated boxes have exactly the shape (and key order) the core gives a single frame.
      for (const b of boxes.filter((b) => !b.isKeyframe)) {
        assert.equal(JSON.stringify(b), JSON.stringify(seq.at(b.frameNumber)), `frame ${b.frameNumber}`)
      }
      // The one-shot functions agree with the class.
      assert.deepStrictEqual(interpolate(c.sequence, options(c)), boxes)
      assert.deepStrictEqual(interpolate(JSON.stringify(c.sequence), options(c)), boxes)
      for (const check of c.at ?? []) {
        assert.deepStrictEqual(boxAt(c.sequence, check.frame, options(c)), seq.at(check.frame))
      }
      checkAt(seq, c.at, c.name)
    })
  }
})

test('FOVEA golden: container ship', () => {
  const golden = fixture('container-ship.json')
  const boxes = interpolate(JSON.stringify(golden.input))
  assert.equal(boxes.length, golden.count)
  assert.ok(golden.frames.length > 0)
  for (const expected of golden.frames) {
    const f = expected.frameNumber
    assert.equal(boxes[f].frameNumber, f)
    assertSubset(boxes[f], expected, `frame ${f}`)
    // Exactly FOVEA's shape: no field more, no field less.
    assert.equal(Object.keys(boxes[f]).length, Object.keys(expected).length, `frame ${f}`)
  }
  // The object path gives the same output.
  assert.deepStrictEqual(interpolate(golden.input), boxes)
})

function apply(seq, op) {
  switch (op.op) {
    case 'add':
      return seq.addKeyframe(op.frame, op.values)
    case 'remove':
      return seq.removeKeyframe(op.frame)
    case 'update':
      return seq.updateKeyframe(op.frame, op.changes)
    case 'move':
      return seq.moveKeyframe(op.from, op.to)
    case 'setInterpolation':
      return seq.setInterpolation(op.frame, op.type, {
        controlPoints: op.controlPoints,
        parametric: op.parametric,
      })
    case 'setVisibility':
      return seq.setVisibility(op.start, op.end, op.visible)
    case 'toggle':
      return seq.toggleVisibility(op.frame)
    default:
      throw new Error(`unknown op ${op.op}`)
  }
}

test('edit vectors', async (t) => {
  const cases = fixture('edit.json')
  assert.ok(cases.length > 0)
  for (const c of cases) {
    await t.test(c.name, () => {
      const seq = new Sequence(c.sequence, options(c))
      const before = seq.copy()
      const beforeObject = seq.toObject()
      let error = null
      for (const op of c.ops) {
        try {
          apply(seq, op)
        } catch (e) {
          error = e
          break
        }
      }
      if (typeof c.error === 'string') {
        assert.ok(error, `expected ${c.error}`)
        assert.ok(error instanceof Error)
        assert.equal(error.code, c.error, error.message)
        assert.ok(seq.equals(before), 'a refused edit changes nothing')
        assert.deepStrictEqual(seq.toObject(), beforeObject)
      } else {
        if (error) throw error
        assertSubset(seq.toObject(), c.expect, c.name)
        checkAt(seq, c.at, c.name)
      }
    })
  }
})

test('error vectors', async (t) => {
  const cases = fixture('errors.json')
  assert.ok(cases.length > 0)
  for (const c of cases) {
    await t.test(c.name, () => {
      // JSON text, through every entry point that takes it.
      expectCode(() => Sequence.fromJSON(c.input), c.code, c.path)
      expectCode(() => new Sequence(c.input), c.code, c.path)
      expectCode(() => interpolate(c.input), c.code, c.path)
      // The same document as a plain object gives the same error.
      if (c.code !== 'invalid-json') {
        const obj = JSON.parse(c.input)
        expectCode(() => Sequence.fromObject(obj), c.code, c.path)
        expectCode(() => boxAt(obj, 0), c.code, c.path)
      }
    })
  }
})
