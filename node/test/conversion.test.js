'use strict'
// Values cross between JavaScript and fovea without JSON text: what the direct conversions
// build equals what the JSON path builds (JSON.parse of the JSON fovea writes), deeply and
// strictly (-0 is not 0), on random sequences, annotations and records with unknown fields,
// large integers and -0; values read from objects equal values read from their JSON text; bad
// values fail with the typed error naming their path; a million conversions do not grow the
// process.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const v8 = require('node:v8')
const vm = require('node:vm')
const { setImmediate } = require('node:timers/promises')
const { interpolate, boxAt, Sequence, readJsonl, exportJsonl, previewImport } = require('..')
const { expectCode } = require('./helpers')

/** A seeded generator (mulberry32), so that a failure can be replayed. */
function random(seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = (items) => items[int(0, items.length - 1)]
  const chance = (p) => next() < p
  return { next, int, pick, chance }
}

const NUMBERS = [0, -0, 0.5, 1.25, -3, 2 ** 53, 2 ** 53 + 2, -(2 ** 60), 1e21, 1e-7, 1.7976931348623157e308, 5e-324]
const TEXTS = ['', 'a', 'é', 'ship 🚢', '"quoted"', 'line\nbreak', '\u0000', '__proto__', 'constructor']

function jsonValue(r, depth) {
  const kind = depth > 2 ? r.int(0, 3) : r.int(0, 5)
  switch (kind) {
    case 0:
      return null
    case 1:
      return r.chance(0.5)
    case 2:
      return r.chance(0.5) ? r.pick(NUMBERS) : (r.next() - 0.5) * 10 ** r.int(-3, 12)
    case 3:
      return r.pick(TEXTS)
    case 4:
      return Array.from({ length: r.int(0, 3) }, () => jsonValue(r, depth + 1))
    default: {
      const o = {}
      for (let i = r.int(0, 3); i > 0; i--) o[r.pick(TEXTS) + r.int(0, 9)] = jsonValue(r, depth + 1)
      return o
    }
  }
}

/** Unknown fields, named so that no model type knows them. */
function extras(r) {
  const o = {}
  for (let i = r.int(0, 2); i > 0; i--) o[`z${r.pick(TEXTS)}${i}`] = jsonValue(r, 0)
  return o
}

function coordinate(r) {
  return r.pick([() => r.pick([0, -0, 1, 2 ** 40]), () => (r.next() - 0.3) * 2000, () => r.int(-1000, 1000)])()
}

function sequence(r) {
  const frames = [...new Set(Array.from({ length: r.int(0, 5) }, () => r.int(0, 300)))].sort((a, b) => a - b)
  const seq = {
    boxes: frames.map((frameNumber) => {
      const b = { x: coordinate(r), y: coordinate(r), width: coordinate(r), height: coordinate(r), frameNumber }
      if (r.chance(0.5)) b.isKeyframe = true
      if (r.chance(0.3)) b.confidence = r.pick([0, -0, 0.25, 1])
      if (r.chance(0.3)) b.metadata = { note: jsonValue(r, 1) }
      return Object.assign(b, extras(r))
    }),
    interpolationSegments: frames.slice(1).flatMap((end, i) =>
      r.chance(0.6)
        ? [{ startFrame: frames[i], endFrame: end, type: r.pick(['linear', 'ease-in', 'ease-out', 'ease-in-out', 'hold']), ...extras(r) }]
        : [],
    ),
    visibilityRanges: Array.from({ length: r.int(0, 2) }, () => {
      const start = r.int(0, 300)
      return { startFrame: start, endFrame: start + r.int(0, 40), visible: r.chance(0.5), ...extras(r) }
    }),
  }
  if (r.chance(0.3)) seq.trackId = r.pick(['t1', 7, 2 ** 53 + 2])
  return Object.assign(seq, extras(r))
}

function annotation(r, id) {
  const a = {
    id,
    videoId: r.pick(['v1', 'v2']),
    annotationType: 'type',
    boundingBoxSequence: sequence(r),
    personaId: 'p1',
    typeCategory: 'entity',
    typeId: 'ship',
  }
  if (r.chance(0.3)) a.confidence = r.pick([0, -0, 0.75])
  if (r.chance(0.3)) a.metadata = { tags: jsonValue(r, 1) }
  return Object.assign(a, extras(r))
}

/** What JSON.parse makes of the JSON of `v`: -0 becomes 0 (JSON's text of it). */
function viaJson(v) {
  return JSON.parse(JSON.stringify(v))
}

const CASES = 150

test('sequences: toObject() and keyframes equal JSON.parse of the JSON fovea writes', () => {
  for (let seed = 1; seed <= CASES; seed++) {
    const seq = new Sequence(sequence(random(seed)))
    const written = JSON.parse(seq.toJsonString())
    assert.deepStrictEqual(seq.toObject(), written, `seed ${seed}`)
    assert.deepStrictEqual(seq.toJSON(), written, `seed ${seed}`)
    const keys = written.boxes.filter((b) => b.isKeyframe).sort((a, b) => a.frameNumber - b.frameNumber)
    assert.deepStrictEqual(seq.keyframes, keys, `seed ${seed}`)
  }
})

test('sequences: read from an object equal read from its JSON text', () => {
  for (let seed = 1; seed <= CASES; seed++) {
    const r = random(seed)
    const data = r.chance(0.5) ? sequence(r) : annotation(r, 'a')
    const doc = r.chance(0.3) && data.boundingBoxSequence ? { type: 'annotation', data } : data
    const fromObject = new Sequence(doc)
    const fromText = Sequence.fromJSON(JSON.stringify(doc))
    assert.ok(fromObject.equals(fromText), `seed ${seed}`)
    assert.deepStrictEqual(fromObject.toObject(), fromText.toObject(), `seed ${seed}`)
  }
})

test('interpolate(): every visible frame equals the boxes of an interpolated export', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-conversion-'))
  try {
    for (let seed = 1; seed <= 60; seed++) {
      const data = sequence(random(seed))
      const source = path.join(dir, 'in.jsonl')
      const out = path.join(dir, 'out.jsonl')
      fs.writeFileSync(source, JSON.stringify({ type: 'annotation', data: { id: 'a', videoId: 'v', boundingBoxSequence: data } }) + '\n')
      await exportJsonl(source, out, { mode: 'interpolated', metadata: false })
      const [line] = fs
        .readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((l) => l.type === 'annotation')
      const frames = interpolate(data)
      assert.deepStrictEqual(frames, line.data.boundingBoxSequence.boxes, `seed ${seed}`)
      assert.deepStrictEqual(new Sequence(data).interpolate(), frames, `seed ${seed}`)
      for (const box of frames.slice(0, 10)) {
        const at = boxAt(data, box.frameNumber)
        // A lone keyframe on a hidden frame is emitted by the eager walk only (FOVEA's rule).
        if (at !== null || frames.length > 1) assert.deepStrictEqual(at, box, `seed ${seed}`)
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('records: readJsonl yields JSON.parse of each line, unknown fields and numbers as JSON reads them', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-conversion-'))
  try {
    const r = random(7)
    const lines = Array.from({ length: 40 }, (_, i) => ({ type: 'annotation', data: annotation(r, `a${i}`) }))
    lines.push({ type: 'video', data: { id: 'v1', width: 640, ...extras(r) } })
    const file = path.join(dir, 'records.jsonl')
    // Numbers JSON.stringify does not write: -0, 1.0, integers beyond 2^53, exponents.
    const raw = '{"type":"video","data":{"id":"v2","a":-0,"b":-0.0,"c":1.0,"d":9007199254740993,"e":18446744073709551615,"f":1e21,"g":-1e-7}}'
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n' + raw + '\n')
    const records = []
    for await (const record of readJsonl(file)) records.push(record)
    assert.equal(records.length, lines.length + 1)
    lines.forEach((line, i) => {
      // Known fields come first, in the model's order; values are the line's.
      assert.deepStrictEqual(records[i], { line: i + 1, ...viaJson(line) })
    })
    assert.deepStrictEqual(records[lines.length].data, { id: 'v2', a: 0, b: 0, c: 1, d: 9007199254740992, e: 18446744073709552000, f: 1e21, g: -1e-7 })
    // A report built on the pool: the same value as its JSON.
    const preview = await previewImport(file)
    assert.deepStrictEqual(preview, viaJson(preview))
    assert.equal(preview.counts.annotations, 40)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('JavaScript values are read as JSON.stringify sees them', () => {
  const base = { boxes: [{ x: 1, y: 2, width: 3, height: 4, frameNumber: 0 }] }
  const read = (extra) => new Sequence({ ...base, ...extra }).toObject()
  // toJSON() (a Date), boxed primitives, undefined properties and items, a Map.
  const when = new Date(Date.UTC(2025, 0, 2))
  const got = read({ when, n: new Number(3), s: new String('x'), u: undefined, list: [1, undefined, 2], map: new Map([[1, 2]]) })
  assert.equal(got.when, when.toISOString())
  assert.equal(got.n, 3)
  assert.equal(got.s, 'x')
  assert.ok(!('u' in got))
  assert.deepStrictEqual(got.list, [1, null, 2])
  assert.deepStrictEqual(got.map, {})
  // `__proto__` as a key stays an own property, as JSON.parse keeps it.
  const proto = read(JSON.parse('{"z": {"__proto__": {"polluted": true}}}'))
  assert.deepStrictEqual(Object.keys(proto.z), ['__proto__'])
  assert.equal({}.polluted, undefined)
  // A nested Sequence converts through its toJSON().
  const inner = new Sequence(base)
  assert.deepStrictEqual(read({ inner }).inner, inner.toObject())
})

test('bad values fail with the typed error naming their path', () => {
  const box = (extra) => ({ boxes: [{ x: 1, y: 2, width: 3, height: 4, frameNumber: 0, ...extra }] })
  expectCode(() => new Sequence(box({ metadata: { a: [1, NaN] } })), 'non-finite-number', 'boxes[0].metadata.a[1]')
  expectCode(() => new Sequence({ ...box({}), zz: { deep: -Infinity } }), 'non-finite-number', 'zz.deep')
  expectCode(() => new Sequence(box({ x: () => 1 })), 'invalid-type', 'boxes[0].x')
  expectCode(() => new Sequence({ ...box({}), zz: [Symbol('s')] }), 'invalid-type', 'zz[0]')
  expectCode(() => new Sequence({ ...box({}), zz: 10n }), 'invalid-type', 'zz')
  expectCode(() => new Sequence(box({ width: 'wide' })), 'invalid-type', 'boxes[0].width')
  expectCode(() => new Sequence({ boundingBoxSequence: box({ frameNumber: 1.5 }) }), 'frame-not-integer', 'boundingBoxSequence.boxes[0].frameNumber')
  const cyclic = box({})
  cyclic.zz = { self: null }
  cyclic.zz.self = cyclic.zz
  const e = expectCode(() => new Sequence(cyclic), 'invalid-type')
  assert.match(e.message, /cyclic/)
  let deep = []
  for (let i = 0; i < 10_000; i++) deep = [deep]
  expectCode(() => new Sequence({ ...box({}), deep }), 'invalid-type')
  // An exception thrown while reading (a getter, a toJSON) propagates as it is.
  const trap = box({})
  Object.defineProperty(trap, 'zz', { enumerable: true, get: () => { throw new RangeError('no') } })
  assert.throws(() => new Sequence(trap), RangeError)
  // Reading again after a failure works (the reader's buffers are not left half-written).
  assert.equal(new Sequence(box({})).keyframes.length, 1)
})

test('a toJSON() that calls back into fovea while a value is read', () => {
  const inner = { boxes: [{ x: 5, y: 6, width: 7, height: 8, frameNumber: 2 }] }
  const outer = {
    boxes: [{ x: 1, y: 2, width: 3, height: 4, frameNumber: 0 }],
    zz: { toJSON: () => interpolate(inner) },
    after: 'kept',
  }
  const got = new Sequence(outer).toObject()
  assert.deepStrictEqual(got.zz, interpolate(inner))
  assert.equal(got.after, 'kept')
  assert.equal(got.boxes[0].x, 1)
})

test('a million conversions do not grow the process', async () => {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  const data = {
    boxes: [
      { x: 1.5, y: 2, width: 3, height: 4, frameNumber: 0, metadata: { k: [1] } },
      { x: 9.5, y: 2, width: 3, height: 4, frameNumber: 9 },
    ],
    zExtra: { a: 1 },
  }
  const seq = new Sequence(data)
  // Each round: an object read, a sequence written, ten interpolated boxes (their keyframes
  // through a tape): 12 conversions. The event loop turns now and then, as in any program:
  // Node runs the finalizers of collected native objects (the `Sequence`s) from it.
  const churn = async (rounds) => {
    for (let i = 0; i < rounds; i++) {
      new Sequence(data).toObject()
      seq.interpolate()
      if (i % 1000 === 0) await setImmediate()
    }
  }
  const settle = async () => {
    for (let i = 0; i < 2; i++) {
      gc()
      await setImmediate()
    }
  }
  await churn(20_000)
  await settle()
  const before = process.memoryUsage().rss
  await churn(90_000)
  await settle()
  const grown = (process.memoryUsage().rss - before) / 2 ** 20
  assert.ok(grown < 32, `RSS grew by ${grown.toFixed(1)} MB over a million conversions`)
})
