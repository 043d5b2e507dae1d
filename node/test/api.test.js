'use strict'
// The Node API: loading, inputs of every accepted shape, the Sequence class, typed arrays,
// JSON round trips and the compiled-form cache.

const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const fovea = require('..')
const { interpolate, boxAt, Sequence, ERROR_CODES } = fovea
const { assertSubset, sample } = require('./helpers')

test('require("..") loads the package main: the generated loader\'s exports plus readJsonl', () => {
  const pkg = require('../package.json')
  assert.equal(pkg.name, 'fovea-core')
  assert.equal(pkg.main, 'fovea.js')
  assert.equal(require.resolve('..'), path.join(__dirname, '..', pkg.main))
  const native = require('../index.js')
  for (const [name, value] of Object.entries(native)) {
    assert.equal(fovea[name], value, name)
  }
  for (const name of ['interpolate', 'boxAt', 'Sequence', 'readJsonl', 'exportJsonl', 'mergeJsonl']) {
    assert.equal(typeof fovea[name], 'function', name)
  }
  assert.ok(Array.isArray(ERROR_CODES))
})

test('interpolate: every visible frame, FOVEA shape', () => {
  const boxes = interpolate(sample())
  assert.equal(boxes.length, 11)
  assert.deepStrictEqual(boxes.map((b) => b.frameNumber), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  // Keyframes keep all their fields, in FOVEA's order, unknown fields last.
  assert.deepStrictEqual(boxes[0], {
    x: 0, y: 0, width: 100, height: 100, frameNumber: 0, isKeyframe: true, confidence: 0.5, note: 'k0',
  })
  // Interpolated frames carry exactly these six fields.
  assert.deepStrictEqual(boxes[5], { x: 50, y: 50, width: 150, height: 150, frameNumber: 5, isKeyframe: false })
  assert.deepStrictEqual(boxes[10], { x: 100, y: 100, width: 200, height: 200, frameNumber: 10, isKeyframe: true })
})

test('inputs: object, JSON text, annotation, annotation line, Sequence', () => {
  const expected = interpolate(sample())
  const annotation = { id: 'a1', videoId: 'v1', boundingBoxSequence: sample() }
  const line = { type: 'annotation', data: annotation }
  for (const input of [
    JSON.stringify(sample()),
    annotation,
    JSON.stringify(annotation),
    line,
    JSON.stringify(line),
    new Sequence(sample()),
  ]) {
    assert.deepStrictEqual(interpolate(input), expected)
    assert.deepStrictEqual(boxAt(input, 5), expected[5])
  }
  // A Sequence nested in an object is read through its toJSON(), as JSON.stringify does.
  assert.deepStrictEqual(interpolate({ id: 'a', boundingBoxSequence: new Sequence(sample()) }), expected)
  // Dates and other objects with toJSON() convert like JSON.stringify converts them.
  const withDate = sample()
  withDate.boxes[0].metadata = { at: new Date(0) }
  assert.equal(interpolate(withDate)[0].metadata.at, '1970-01-01T00:00:00.000Z')
})

test('undefined properties are skipped, undefined array items become null', () => {
  const data = sample()
  data.boxes[0].confidence = undefined
  data.extra = [1, undefined, 2]
  const seq = Sequence.fromObject(data)
  const obj = seq.toObject()
  assert.ok(!('confidence' in obj.boxes[0]))
  assert.deepStrictEqual(obj.extra, [1, null, 2])
})

test('boxAt: null outside the span and on hidden frames', () => {
  const data = sample()
  data.visibilityRanges = [{ startFrame: 3, endFrame: 4, visible: false }]
  assert.equal(boxAt(data, 11), null)
  assert.equal(boxAt(data, 3), null)
  assert.deepStrictEqual(boxAt(data, 2), { x: 20, y: 20, width: 120, height: 120, frameNumber: 2, isKeyframe: false })
  assert.equal(new Sequence(data).at(4), null)
  assert.equal(new Sequence(data).frameCount, 9)
})

test('Sequence: constructors and getters', () => {
  const empty = new Sequence()
  assert.equal(empty.frameCount, 0)
  assert.equal(empty.span, null)
  assert.deepStrictEqual(empty.keyframes, [])
  assert.deepStrictEqual(empty.interpolate(), [])
  assert.deepStrictEqual(new Sequence(null).toObject(), empty.toObject())
  assert.deepStrictEqual(empty.toObject().boxes, [])

  const seq = new Sequence(sample())
  assert.equal(seq.profile, 'default')
  assert.deepStrictEqual(seq.span, [0, 10])
  assert.equal(seq.frameCount, 11)
  assert.deepStrictEqual(seq.counters, { totalFrames: 11, keyframeCount: 2, interpolatedFrameCount: 9 })
  assert.deepStrictEqual(seq.keyframes.map((k) => k.frameNumber), [0, 10])
  assert.equal(seq.keyframes[0].note, 'k0')
  assert.ok(seq.keyframes.every((k) => k.isKeyframe === true))
  assert.equal(String(seq), 'Sequence(2 keyframes, 11 frames, profile default)')

  const fovea = new Sequence(sample(), { profile: 'fovea' })
  assert.equal(fovea.profile, 'fovea')
  assert.equal(Sequence.fromJSON(JSON.stringify(sample()), { profile: 'fovea' }).profile, 'fovea')
  assert.equal(Sequence.fromObject(sample(), {}).profile, 'default')
  // A copy through the constructor keeps the profile unless told otherwise.
  assert.equal(new Sequence(fovea).profile, 'fovea')
  assert.equal(new Sequence(fovea, { profile: 'default' }).profile, 'default')
  assert.ok(new Sequence(fovea).equals(fovea))
  assert.ok(Sequence.fromObject(sample()) instanceof Sequence)
})

test('keyframes come sorted even when stored unsorted', () => {
  const data = sample()
  data.boxes.reverse()
  assert.deepStrictEqual(new Sequence(data).keyframes.map((k) => k.frameNumber), [0, 10])
})

test('toTypedArrays: Int32Array + Float64Array equal to interpolate()', () => {
  const data = sample()
  data.boxes.push({ x: 0, y: 50, width: 10, height: 10, frameNumber: 30 })
  data.interpolationSegments = [{ startFrame: 10, endFrame: 30, type: 'ease-in-out' }]
  data.visibilityRanges = [{ startFrame: 12, endFrame: 14, visible: false }]
  const seq = new Sequence(data)
  const boxes = seq.interpolate()
  const { frames, boxes: values } = seq.toTypedArrays()
  assert.ok(frames instanceof Int32Array)
  assert.ok(values instanceof Float64Array)
  assert.equal(frames.length, boxes.length)
  assert.equal(values.length, 4 * boxes.length)
  assert.equal(frames.length, 28)
  boxes.forEach((b, i) => {
    assert.equal(frames[i], b.frameNumber)
    assert.equal(values[4 * i], b.x)
    assert.equal(values[4 * i + 1], b.y)
    assert.equal(values[4 * i + 2], b.width)
    assert.equal(values[4 * i + 3], b.height)
  })
  // Each call hands over fresh buffers.
  const again = seq.toTypedArrays()
  frames[0] = 99
  values[0] = 99
  assert.equal(again.frames[0], 0)
  assert.equal(again.boxes[0], 0)
  assert.notEqual(again.boxes.buffer, values.buffer)
  // Empty sequence: empty arrays of the right types.
  const empty = new Sequence().toTypedArrays()
  assert.ok(empty.frames instanceof Int32Array && empty.frames.length === 0)
  assert.ok(empty.boxes instanceof Float64Array && empty.boxes.length === 0)
})

test('JSON.stringify(sequence) round trip', () => {
  const seq = new Sequence(sample())
  const text = JSON.stringify(seq)
  assert.deepStrictEqual(JSON.parse(text), seq.toObject())
  assert.deepStrictEqual(seq.toJSON(), seq.toObject())
  const back = Sequence.fromJSON(text)
  assert.ok(back.equals(seq))
  assert.deepStrictEqual(back.toObject(), seq.toObject())
  // fovea's own JSON text parses to the same object.
  assert.deepStrictEqual(JSON.parse(seq.toJsonString()), seq.toObject())
  // Counters are written, recomputed.
  assert.equal(seq.toObject().totalFrames, 11)
  assert.equal(seq.toObject().keyframeCount, 2)
  assert.equal(seq.toObject().interpolatedFrameCount, 9)
})

test('unknown fields survive fromObject -> toObject', () => {
  const data = {
    boxes: [
      { x: 1.5, y: 2, width: 3, height: 4, frameNumber: 0, isKeyframe: true, confidence: 0.5, metadata: { a: [1, { b: null }] }, z: 'keep' },
    ],
    interpolationSegments: [
      {
        startFrame: 0, endFrame: 4, type: 'bezier',
        controlPoints: { x: [{ x: 0.1, y: 0.2, w: 1 }, { x: 0.3, y: 0.4 }], extraCurve: true },
        parametric: { y: { type: 'quadratic', parameters: { a: 2 }, expression: 'e', more: 1 } },
        segExtra: 's',
      },
    ],
    visibilityRanges: [{ startFrame: 0, endFrame: 4, visible: true, why: 'r' }],
    trackId: 't-1',
    trackingSource: 'sam2',
    trackingConfidence: 0.9,
    totalFrames: 1,
    keyframeCount: 1,
    interpolatedFrameCount: 0,
    seqExtra: { deep: [1, 2], big: 1e300, neg: -7, huge: 2 ** 60 },
  }
  const out = Sequence.fromObject(data).toObject()
  assert.deepStrictEqual(out, data)
  // And through fovea's JSON text.
  assert.deepStrictEqual(JSON.parse(Sequence.fromObject(data).toJsonString()), data)
})

test('an object and its JSON text make equal sequences', () => {
  const data = sample()
  data.trackId = 42
  data.boxes[0].metadata = { n: 3, f: 2.5, m: -1 }
  assert.ok(Sequence.fromObject(data).equals(Sequence.fromJSON(JSON.stringify(data))))
  assert.ok(!Sequence.fromObject(data).equals(new Sequence(sample())))
  assert.equal(new Sequence(sample()).equals({}), false)
  assert.equal(new Sequence(sample()).equals(null), false)
})

test('edits mutate in place and invalidate the cached compiled form', () => {
  const seq = new Sequence(sample())
  const before = seq.interpolate()
  assert.equal(seq.at(5).isKeyframe, false)
  seq.addKeyframe(5, { x: 0, y: 0, width: 10, height: 10 })
  assert.deepStrictEqual(seq.at(5), { x: 0, y: 0, width: 10, height: 10, frameNumber: 5, isKeyframe: true })
  assert.deepStrictEqual(seq.span, [0, 10])
  assert.equal(seq.keyframes.length, 3)
  assert.notDeepStrictEqual(seq.interpolate(), before)
  assert.equal(seq.toTypedArrays().boxes[4 * 5 + 2], 10)

  seq.updateKeyframe(5, { width: 20, confidence: 0.7, tag: 'x' })
  assert.deepStrictEqual(seq.at(5), {
    x: 0, y: 0, width: 20, height: 10, frameNumber: 5, isKeyframe: true, confidence: 0.7, tag: 'x',
  })

  seq.moveKeyframe(5, 6)
  assert.equal(seq.at(5).isKeyframe, false)
  assert.equal(seq.at(6).width, 20)

  seq.setInterpolation(0, 'hold')
  assert.equal(seq.at(3).x, 0)
  assert.equal(seq.at(3).width, 100)
  seq.setInterpolation(0, 'bezier', { controlPoints: { x: [{ x: 0.42, y: 0 }, { x: 1, y: 1 }] } })
  assert.equal(seq.toObject().interpolationSegments[0].type, 'bezier')
  assert.deepStrictEqual(seq.toObject().interpolationSegments[0].controlPoints.x[0], { x: 0.42, y: 0 })
  seq.setInterpolation(0, 'parametric', { parametric: { y: { type: 'quadratic', parameters: { a: 2 } } } })
  assert.equal(seq.toObject().interpolationSegments[0].parametric.y.type, 'quadratic')

  const removed = seq.removeKeyframe(6)
  assert.equal(removed.frameNumber, 6)
  assert.equal(removed.tag, 'x')
  assert.equal(seq.keyframes.length, 2)

  seq.setVisibility(2, 3, false)
  assert.equal(seq.at(2), null)
  assert.equal(seq.frameCount, 9)
  assert.equal(seq.toggleVisibility(2), true)
  assert.notEqual(seq.at(2), null)
  assert.equal(seq.toggleVisibility(2), false)
  assert.equal(seq.at(2), null)

  // Array box values, and the interpolated value when none is given.
  seq.addKeyframe(20, [1, 2, 3, 4])
  assert.deepStrictEqual(seq.at(20), { x: 1, y: 2, width: 3, height: 4, frameNumber: 20, isKeyframe: true })
  seq.addKeyframe(15)
  assert.equal(seq.at(15).isKeyframe, true)
  assert.deepStrictEqual(seq.span, [0, 20])
})

test('copy is independent', () => {
  const seq = new Sequence(sample())
  const copy = seq.copy()
  assert.ok(copy.equals(seq))
  copy.addKeyframe(5)
  assert.ok(!copy.equals(seq))
  assert.equal(seq.keyframes.length, 2)
  assert.equal(copy.keyframes.length, 3)
})

test('profile: default refuses custom parametric, fovea evaluates it as linear', () => {
  const data = {
    boxes: [
      { x: 0, y: 0, width: 1, height: 1, frameNumber: 0 },
      { x: 9, y: 0, width: 1, height: 1, frameNumber: 9 },
    ],
    interpolationSegments: [
      { startFrame: 0, endFrame: 9, type: 'parametric', parametric: { width: { type: 'custom', parameters: {}, expression: 't^2' } } },
    ],
  }
  assert.throws(() => interpolate(data), { code: 'unsupported-parametric' })
  assert.equal(interpolate(data, { profile: 'fovea' }).length, 10)
  assert.equal(boxAt(data, 3, { profile: 'fovea' }).x, 3)
  const seq = new Sequence(data)
  assert.throws(() => seq.interpolate(), { code: 'unsupported-parametric' })
  // A Sequence can be evaluated under another profile without changing its own.
  assert.equal(interpolate(seq, { profile: 'fovea' }).length, 10)
  assert.equal(seq.profile, 'default')
  assert.equal(new Sequence(data, { profile: 'fovea' }).at(3).x, 3)
})

test('ERROR_CODES lists the core codes', () => {
  assert.ok(ERROR_CODES.length >= 19)
  assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length)
  for (const code of ['frame-not-integer', 'keyframe-exists', 'non-finite-number', 'invalid-type']) {
    assert.ok(ERROR_CODES.includes(code), code)
  }
  assert.ok(ERROR_CODES.every((c) => /^[a-z0-9]+(-[a-z0-9]+)*$/.test(c)))
})

test('results are plain values, unrelated to the input objects', () => {
  const data = sample()
  const seq = Sequence.fromObject(data)
  data.boxes[0].x = 999
  assert.equal(seq.at(0).x, 0)
  const obj = seq.toObject()
  obj.boxes[0].x = 555
  assert.equal(seq.toObject().boxes[0].x, 0)
  const kf = seq.keyframes
  kf[0].x = 777
  assert.equal(seq.keyframes[0].x, 0)
  assertSubset(seq.at(0), { x: 0, note: 'k0' }, 'at(0)')
})

test('a __proto__ key in the data is kept as an own property, as JSON.parse keeps it', () => {
  const text = '{"boxes":[{"x":0,"y":0,"width":1,"height":1,"frameNumber":0,"metadata":{"__proto__":{"a":1},"b":2}}]}'
  const seq = Sequence.fromJSON(text)
  for (const meta of [seq.toObject().boxes[0].metadata, seq.interpolate()[0].metadata, seq.at(0).metadata]) {
    assert.ok(Object.prototype.hasOwnProperty.call(meta, '__proto__'))
    assert.strictEqual(Object.getPrototypeOf(meta), Object.prototype)
    assert.strictEqual(JSON.stringify(meta), '{"__proto__":{"a":1},"b":2}')
  }
})
