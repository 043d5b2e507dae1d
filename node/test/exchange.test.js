'use strict'
// JSON Lines exchange: readJsonl (line numbers, CRLF, the three error modes), exportJsonl (both
// modes, filters, metadata, read errors, atomic writes), statsJsonl, validateJsonl over the
// whole-line cases of testdata/validate/cases.json, mergeJsonl over the import scenarios of
// testdata/import/scenarios.json (the Rust runner's expectations, fovea-core/tests/import.rs),
// previewImport, rejections (codes, io, AbortSignal).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const {
  readJsonl,
  JsonlLines,
  exportJsonl,
  statsJsonl,
  validateJsonl,
  previewImport,
  mergeJsonl,
  interpolate,
} = require('..')
const { expectRejection } = require('./helpers')

const TESTDATA = path.join(__dirname, '..', '..', 'testdata')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-node-exchange-'))
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))

let files = 0
/** Writes `text` (or records, one JSON line each) to a new file in the temp dir. */
function write(content, name = `f${files++}.jsonl`) {
  const file = path.join(tmp, name)
  const text = Array.isArray(content) ? content.map((l) => JSON.stringify(l) + '\n').join('') : content
  fs.writeFileSync(file, text)
  return file
}

/** The records of a JSON Lines file, parsed with JSON.parse. */
function lines(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
}

async function collect(iterable) {
  const out = []
  for await (const r of iterable) out.push(r)
  return out
}

/** Files left in the temp dir by an atomic write (none after success or failure). */
function temporaries() {
  return fs.readdirSync(tmp).filter((n) => n.endsWith('.tmp'))
}

// ---------------------------------------------------------------------------------------------
// readJsonl

const VIDEO = { type: 'video', data: { id: 'v1', title: 'Harbour', width: 1920, height: 1080 } }
const ENTITY = { type: 'entity', data: { id: 'e1', name: 'Ship', extra: { kept: [1, 2.5] } } }
// Line 1 blank, 2 video (CRLF), 3 blank (spaces), 4 bad JSON, 5 envelope without data,
// 6 entity (CRLF), 7 a typed-data error, 8 a video without a final newline.
const MIXED = [
  '',
  JSON.stringify(VIDEO) + '\r',
  '   ',
  '{bad',
  '{"type":"annotation"}',
  JSON.stringify(ENTITY) + '\r',
  '{"type":"entity","data":{"id":5}}',
  JSON.stringify({ type: 'video', data: { id: 'v2' } }),
].join('\n')

test('readJsonl: records, physical line numbers, blank lines and CRLF, skip mode', async () => {
  const file = write(MIXED)
  const it = readJsonl(file, { onError: 'skip' })
  assert.ok(it instanceof JsonlLines)
  assert.equal(typeof it[Symbol.asyncIterator], 'function')
  const records = await collect(it)
  assert.deepStrictEqual(
    records.map((r) => [r.line, r.type]),
    [
      [2, 'video'],
      [6, 'entity'],
      [8, 'video'],
    ],
  )
  assert.deepStrictEqual(records[0], { line: 2, ...VIDEO })
  assert.deepStrictEqual(Object.keys(records[0]), ['line', 'type', 'data'])
  assert.deepStrictEqual(records[1].data, ENTITY.data, 'unknown fields are kept')
  assert.deepStrictEqual(it.errors, [])
  // Finished: further calls are done.
  assert.deepStrictEqual(await it.next(), { done: true, value: undefined })
})

test('readJsonl: collect mode keeps the errors with code, line and path', async () => {
  const it = readJsonl(write(MIXED), { onError: 'collect' })
  const records = await collect(it)
  assert.deepStrictEqual(
    records.map((r) => r.line),
    [2, 6, 8],
  )
  assert.deepStrictEqual(
    it.errors.map((e) => [e.line, e.code]),
    [
      [4, 'invalid-json'],
      [5, 'invalid-envelope'],
      [7, 'invalid-type'],
    ],
  )
  for (const e of it.errors) {
    assert.ok(e instanceof Error)
    assert.ok(/^line \d+[:,] /.test(e.message) && e.message.startsWith(`line ${e.line}`), e.message)
  }
  assert.equal(it.errors[2].path, 'data.id')
  assert.ok(!('path' in it.errors[0]))
})

test('readJsonl: throw mode (the default) yields the records before the error, then throws', async () => {
  const it = readJsonl(write(MIXED))
  const seen = []
  await assert.rejects(
    async () => {
      for await (const r of it) seen.push(r.line)
    },
    (e) => e instanceof Error && e.code === 'invalid-json' && e.line === 4,
  )
  assert.deepStrictEqual(seen, [2])
  assert.deepStrictEqual(await it.next(), { done: true, value: undefined }, 'the iteration ended')
})

test('readJsonl: non-blank line numbers and the line length limit', async () => {
  const file = write(MIXED)
  const records = await collect(readJsonl(file, { onError: 'skip', lineNumbers: 'nonBlank' }))
  assert.deepStrictEqual(
    records.map((r) => r.line),
    [1, 4, 6],
  )
  const it = readJsonl(file, { onError: 'collect', maxLineBytes: 40 })
  const short = await collect(it)
  assert.deepStrictEqual(
    short.map((r) => r.line),
    [8],
  )
  assert.deepStrictEqual(
    it.errors.map((e) => [e.line, e.code]),
    [
      [2, 'line-too-long'],
      [4, 'invalid-json'],
      [5, 'invalid-envelope'],
      [6, 'line-too-long'],
      [7, 'invalid-type'],
    ],
  )
})

test('readJsonl: many batches, in order; break closes early; concurrent next() calls are served in order', async () => {
  const n = 5000
  const file = write(Array.from({ length: n }, (_, i) => ({ type: 'video', data: { id: `v${i}` } })))
  const records = await collect(readJsonl(file))
  assert.equal(records.length, n)
  assert.ok(records.every((r, i) => r.line === i + 1 && r.data.id === `v${i}`))
  let count = 0
  for await (const r of readJsonl(file)) {
    if (++count === 10) break
    assert.equal(r.line, count)
  }
  assert.equal(count, 10)
  const it = readJsonl(file)
  const first = await Promise.all([it.next(), it.next(), it.next()])
  assert.deepStrictEqual(
    first.map((r) => r.value.line),
    [1, 2, 3],
  )
  assert.deepStrictEqual(await it.return(), { done: true, value: undefined })
  assert.equal((await it.next()).done, true)
})

test('readJsonl: bad options throw at once; a missing file rejects the first next() with io', async () => {
  assert.throws(() => readJsonl(write(MIXED), { onError: 'ignore' }), { code: 'invalid-option' })
  assert.throws(() => readJsonl(write(MIXED), { lineNumbers: 'logical' }), { code: 'invalid-option' })
  assert.throws(() => readJsonl(write(MIXED), { maxLineBytes: 0 }), { code: 'invalid-type', path: 'options.maxLineBytes' })
  // Unknown keys are refused with their path (a misspelt option would otherwise do nothing);
  // `signal` is the task's own.
  assert.throws(() => readJsonl(write(MIXED), { onerror: 'skip' }), { code: 'invalid-option', path: 'options.onerror' })
  readJsonl(write(MIXED), { onError: 'skip', signal: new AbortController().signal }).return()
  assert.throws(() => readJsonl(42), { code: 'invalid-type', path: 'path' })
  const it = readJsonl(path.join(tmp, 'missing.jsonl'))
  await assert.rejects(it.next(), (e) => e.code === 'io' && e.message.includes('missing.jsonl'))
  assert.equal((await it.next()).done, true)
})

test('readJsonl: an aborted signal rejects', async () => {
  const ac = new AbortController()
  ac.abort()
  const it = readJsonl(write(MIXED), { signal: ac.signal })
  await assert.rejects(it.next(), { name: 'AbortError', code: 'ABORT_ERR' })
  // Aborted during the iteration: the records already read are delivered, then the next
  // batch rejects.
  const file = write(Array.from({ length: 5000 }, (_, i) => ({ type: 'video', data: { id: `v${i}` } })))
  const running = new AbortController()
  let count = 0
  await assert.rejects(
    async () => {
      for await (const r of readJsonl(file, { signal: running.signal })) {
        if (++count === 10) running.abort()
        assert.equal(r.line, count)
      }
    },
    { name: 'AbortError' },
  )
  assert.ok(count >= 10 && count < 5000, `${count}`)
})

// ---------------------------------------------------------------------------------------------
// exportJsonl, statsJsonl

const SHIP = JSON.parse(fs.readFileSync(path.join(TESTDATA, 'interp', 'container-ship.jsonl'), 'utf8'))
const SHIP_VIDEO = { type: 'video', data: { id: SHIP.data.videoId, title: 'Berth 12', width: 1920, height: 1080 } }
const DATE = '2025-01-15T12:00:00.000Z'
// The video first: the export writes it after the annotation (dependency order).
const shipFile = write([SHIP_VIDEO, SHIP], 'ship.jsonl')

test('exportJsonl interpolated: 361 boxes, the engine frames, a final metadata line with real counts', async () => {
  const dest = path.join(tmp, 'ship-interpolated.jsonl')
  const stats = await exportJsonl(shipFile, dest, { mode: 'interpolated', exportDate: DATE })
  assert.deepStrictEqual(stats, {
    lines: { annotation: 1, metadata: 1, video: 1 },
    annotationCount: 1,
    sequenceCount: 1,
    keyframeCount: 4,
    interpolatedFrameCount: 357,
    bytes: fs.statSync(dest).size,
    filteredOut: 0,
    readErrors: [],
  })
  const out = lines(dest)
  assert.deepStrictEqual(
    out.map((l) => l.type),
    ['annotation', 'video', 'metadata'],
  )
  const seq = out[0].data.boundingBoxSequence
  assert.equal(seq.boxes.length, 361)
  assert.equal(seq.boxes.filter((b) => b.isKeyframe).length, 4)
  assert.deepStrictEqual(seq.boxes, interpolate(SHIP), 'the same frames as interpolate()')
  assert.equal(seq.totalFrames, 361)
  assert.deepStrictEqual(out[1], SHIP_VIDEO)
  const meta = out[2].data
  assert.equal(meta.exportDate, DATE)
  assert.equal(meta.exportVersion, '1.0.0')
  assert.ok(meta.exportedBy.startsWith('fovea '))
  assert.deepStrictEqual(
    [meta.annotationCount, meta.sequenceCount, meta.keyframeCount, meta.interpolatedFrameCount],
    [1, 1, 4, 357],
  )
  assert.deepStrictEqual(temporaries(), [])
})

test('exportJsonl keyframes (the default): 4 keyframes, reproducible byte for byte', async () => {
  const dest = path.join(tmp, 'ship-keyframes.jsonl')
  const stats = await exportJsonl(shipFile, dest, { exportDate: DATE })
  assert.equal(stats.keyframeCount, 4)
  assert.equal(stats.interpolatedFrameCount, 0)
  const out = lines(dest)
  const seq = out[0].data.boundingBoxSequence
  assert.deepStrictEqual(
    seq.boxes.map((b) => [b.frameNumber, b.isKeyframe]),
    [
      [0, true],
      [120, true],
      [240, true],
      [360, true],
    ],
  )
  assert.deepStrictEqual(seq.boxes[0].metadata, SHIP.data.boundingBoxSequence.boxes[0].metadata)
  assert.equal(out[2].data.keyframeCount, 4)
  assert.equal(out[2].data.interpolatedFrameCount, 0)
  // Exporting the export again gives the same bytes.
  const again = path.join(tmp, 'ship-keyframes-again.jsonl')
  await exportJsonl(dest, again, { exportDate: DATE, mode: 'keyframes' })
  assert.equal(fs.readFileSync(again, 'utf8'), fs.readFileSync(dest, 'utf8'))
})

test('exportJsonl filters and the metadata switch', async () => {
  const dest = path.join(tmp, 'filtered.jsonl')
  let stats = await exportJsonl(shipFile, dest, { videoIds: ['another-video'], exportDate: DATE })
  assert.deepStrictEqual([stats.annotationCount, stats.filteredOut], [0, 2])
  assert.deepStrictEqual(stats.lines, { metadata: 1 })
  stats = await exportJsonl(shipFile, dest, { videoIds: [SHIP.data.videoId], personaIds: [SHIP.data.personaId] })
  assert.deepStrictEqual([stats.annotationCount, stats.filteredOut], [1, 0])
  stats = await exportJsonl(shipFile, dest, { personaIds: ['someone-else'] })
  assert.deepStrictEqual([stats.annotationCount, stats.filteredOut], [0, 1])
  stats = await exportJsonl(shipFile, dest, { annotationTypes: ['object'] })
  assert.deepStrictEqual([stats.annotationCount, stats.filteredOut], [0, 1])
  stats = await exportJsonl(shipFile, dest, { annotationTypes: ['type', 'object'], metadata: false })
  assert.deepStrictEqual(stats.lines, { annotation: 1, video: 1 })
  assert.deepStrictEqual(
    lines(dest).map((l) => l.type),
    ['annotation', 'video'],
  )
})

test('exportJsonl: unreadable and unexportable lines are reported and left out; failures leave the destination untouched', async () => {
  // Line 2 cannot be read; line 4 is an annotation whose sequence cannot be exported.
  const bad = structuredClone(SHIP)
  bad.data.id = 'bad'
  bad.data.boundingBoxSequence.boxes[1].frameNumber = -3
  const source = write([SHIP_VIDEO].map((l) => JSON.stringify(l)).join('\n') + '\n{oops\n' + JSON.stringify(SHIP) + '\n' + JSON.stringify(bad) + '\n')
  const dest = path.join(tmp, 'with-errors.jsonl')
  const stats = await exportJsonl(source, dest, { exportDate: DATE })
  assert.equal(stats.annotationCount, 1)
  assert.deepStrictEqual(
    stats.readErrors.map((e) => [e.line, e.code]),
    [
      [2, 'invalid-json'],
      [4, 'frame-negative'],
    ],
  )
  for (const e of stats.readErrors) assert.ok(!e.message.startsWith('line '), e.message)
  assert.strictEqual(stats.readErrors[0].path, null)
  assert.ok(stats.readErrors[1].path.endsWith('boundingBoxSequence.boxes[1].frameNumber'), stats.readErrors[1].path)
  assert.deepStrictEqual(
    lines(dest).map((l) => [l.type, l.data.id]),
    [
      ['annotation', SHIP.data.id],
      ['video', SHIP_VIDEO.data.id],
      ['metadata', undefined],
    ],
  )
  // A source that cannot be read (a directory, refused when opened) fails the export with io, and the
  // destination is left as it was.
  const untouched = path.join(tmp, 'untouched.jsonl')
  fs.writeFileSync(untouched, 'before\n')
  await expectRejection(exportJsonl(tmp, untouched), 'io', null)
  assert.equal(fs.readFileSync(untouched, 'utf8'), 'before\n')
  assert.deepStrictEqual(temporaries(), [])
})

test('exportJsonl: invalid options and files reject', async () => {
  const dest = path.join(tmp, 'never.jsonl')
  await expectRejection(exportJsonl(shipFile, dest, { mode: 'everything' }), 'invalid-option', null)
  await expectRejection(exportJsonl(shipFile, dest, { annotationTypes: ['track'] }), 'invalid-option', null)
  await expectRejection(exportJsonl(shipFile, dest, { profile: 'strict' }), 'invalid-option', null)
  await expectRejection(exportJsonl(shipFile, dest, { videoIds: 'v1' }), 'invalid-type', 'options.videoIds')
  await expectRejection(exportJsonl(shipFile, dest, { personaIds: ['p', 7] }), 'invalid-type', 'options.personaIds[1]')
  await expectRejection(exportJsonl(shipFile, dest, { metadata: 'no' }), 'invalid-type', 'options.metadata')
  await expectRejection(exportJsonl(shipFile, 42), 'invalid-type', 'destination')
  await expectRejection(exportJsonl(path.join(tmp, 'missing.jsonl'), dest), 'io', null)
  await expectRejection(exportJsonl(shipFile, path.join(tmp, 'no-such-dir', 'out.jsonl')), 'io', null)
  assert.ok(!fs.existsSync(dest))
})

test('exportJsonl: an AbortSignal aborts, before or during the export; nothing is written', async () => {
  const dest = path.join(tmp, 'aborted.jsonl')
  const ac = new AbortController()
  ac.abort(new Error('stop'))
  await assert.rejects(exportJsonl(shipFile, dest, { signal: ac.signal }), (e) => {
    return e instanceof Error && e.name === 'AbortError' && e.code === 'ABORT_ERR' && e.cause.message === 'stop'
  })
  // A long interpolated export, aborted while it runs.
  const big = write(
    Array.from({ length: 100 }, (_, i) => {
      const a = structuredClone(SHIP)
      a.data.id = `a${i}`
      a.data.boundingBoxSequence.boxes[3].frameNumber = 20000
      a.data.boundingBoxSequence.interpolationSegments[2].endFrame = 20000
      a.data.boundingBoxSequence.visibilityRanges[0].endFrame = 20000
      return a
    }),
  )
  const running = new AbortController()
  const started = Date.now()
  const promise = exportJsonl(big, dest, { mode: 'interpolated', signal: running.signal })
  setTimeout(() => running.abort(), 50)
  await assert.rejects(promise, { name: 'AbortError' })
  assert.ok(Date.now() - started < 20000, 'stopped early')
  assert.ok(!fs.existsSync(dest))
  assert.deepStrictEqual(temporaries(), [])
  // A signal aborted after the call settled changes nothing.
  const late = new AbortController()
  const stats = await exportJsonl(shipFile, dest, { signal: late.signal })
  late.abort()
  assert.equal(stats.annotationCount, 1)
})

test('statsJsonl: what a file holds', async () => {
  const stats = await statsJsonl(shipFile)
  assert.deepStrictEqual(stats, {
    lines: { annotation: 1, video: 1 },
    annotations: 1,
    keyframes: 4,
    frames: 361,
    interpolatedFrames: 357,
    singleKeyframeSequences: 0,
    invalidAnnotations: 0,
    unreadableLines: 0,
    bytes: fs.statSync(shipFile).size,
  })
  const mixed = await statsJsonl(write(MIXED))
  assert.equal(mixed.unreadableLines, 3)
  assert.deepStrictEqual(mixed.lines, { entity: 1, video: 2 })
  // A line type named like an Object.prototype member is an ordinary key.
  const odd = await statsJsonl(write([{ type: '__proto__', data: { a: 1 } }]))
  assert.ok(Object.hasOwn(odd.lines, '__proto__'))
  assert.equal(odd.lines.__proto__, 1)
  await expectRejection(statsJsonl(path.join(tmp, 'missing.jsonl')), 'io', null)
  // A directory is refused when opened: io, not an unreadable line.
  await expectRejection(statsJsonl(tmp), 'io', null)
  await expectRejection(statsJsonl(shipFile, { signal: 'yes' }), 'invalid-type', 'options.signal')
})

// ---------------------------------------------------------------------------------------------
// validateJsonl

test('validateJsonl: the whole-line cases of cases.json, in both profiles, one file per profile', async () => {
  const cases = JSON.parse(fs.readFileSync(path.join(TESTDATA, 'validate', 'cases.json'), 'utf8')).filter((c) => c.line)
  for (const profile of ['fovea', 'default']) {
    const mine = cases.filter((c) => c.profile === profile && !c.video)
    assert.ok(mine.length > 0)
    const file = write(mine.map((c) => c.line))
    const report = await validateJsonl(file, { profile, maxIssues: 10000 })
    assert.equal(report.lines, mine.length)
    assert.equal(report.truncated, 0)
    assert.equal(report.invalidLines, mine.filter((c) => !c.valid).length)
    assert.equal(report.valid, mine.every((c) => c.valid))
    mine.forEach((c, i) => {
      const errors = report.errors.filter((x) => x.line === i + 1)
      const warnings = report.warnings.filter((x) => x.line === i + 1)
      assert.ok(errors.every((x) => x.severity === 'error') && warnings.every((x) => x.severity === 'warning'))
      assert.equal(errors.length === 0, c.valid, `${c.name}: ${JSON.stringify(errors)}`)
      if (c.errors) {
        assert.deepStrictEqual(errors.map((x) => x.message), c.errors, c.name)
        assert.deepStrictEqual(warnings.map((x) => x.message), c.warnings, c.name)
      }
      if (c.errorCodes) {
        assert.deepStrictEqual(errors.map((x) => x.code), c.errorCodes, c.name)
        assert.deepStrictEqual(warnings.map((x) => x.code), c.warningCodes, c.name)
      }
    })
  }
})

test('validateJsonl: unreadable lines, the issue cap, options', async () => {
  const report = await validateJsonl(write(MIXED))
  assert.equal(report.valid, false)
  assert.deepStrictEqual(
    report.errors.filter((x) => x.line === 4 || x.line === 5).map((x) => [x.line, x.code]),
    [
      [4, 'invalid-json'],
      [5, 'invalid-envelope'],
    ],
  )
  const capped = await validateJsonl(write(MIXED), { maxIssues: 1 })
  assert.equal(capped.errors.length + capped.warnings.length, 1)
  assert.ok(capped.truncated > 0)
  await expectRejection(validateJsonl(shipFile, { maxIssues: -1 }), 'invalid-type', 'options.maxIssues')
  await expectRejection(validateJsonl(shipFile, { maxIssues: 1.5 }), 'invalid-type', 'options.maxIssues')
  await expectRejection(validateJsonl(shipFile, { profile: 'FOVEA' }), 'invalid-option', null)
  await expectRejection(validateJsonl(path.join(tmp, 'missing.jsonl')), 'io', null)
  const ac = new AbortController()
  ac.abort()
  await assert.rejects(validateJsonl(shipFile, { signal: ac.signal }), { name: 'AbortError' })
})

// ---------------------------------------------------------------------------------------------
// mergeJsonl over the import scenarios, previewImport

const SCENARIOS = JSON.parse(fs.readFileSync(path.join(TESTDATA, 'import', 'scenarios.json'), 'utf8'))
const existingFile = write(SCENARIOS.existing, 'existing.jsonl')
const EXISTING_IDS = SCENARIOS.existing.filter((l) => l.type === 'annotation').map((l) => l.data.id)

function annotations(out) {
  return new Map(out.filter((l) => l.type === 'annotation').map((l) => [l.data.id, l.data]))
}

test('mergeJsonl: the import scenarios', async (t) => {
  let n = 0
  for (const s of SCENARIOS.scenarios) {
    await t.test(s.name, async () => {
      const want = s.expect
      const incoming = write(s.lines)
      const dest = path.join(tmp, `merged-${n++}.jsonl`)
      // Every other scenario passes its options as JSON text.
      const options = n % 2 ? s.options : JSON.stringify(s.options)
      const { preview, result, stats } = await mergeJsonl(existingFile, incoming, dest, { options, exportDate: DATE })
      const ctx = `${s.name}: ${JSON.stringify(result)}`
      assert.equal(result.success, want.success, ctx)
      assert.equal(result.committed, want.committed, ctx)
      const items = result.summary.importedItems
      const skipped = result.summary.skippedItems
      assert.equal(items.annotations, want.imported, ctx)
      assert.equal(skipped.annotations, want.skippedAnnotations ?? 0, ctx)
      assert.equal(skipped.worldObjects, want.skippedWorld ?? 0, ctx)
      assert.equal(items.placeholders, want.placeholders ?? 0, ctx)
      assert.deepStrictEqual(
        result.conflicts.map((c) => [c.type, c.line, c.resolution]),
        want.conflicts,
        ctx,
      )
      assert.equal(preview.conflicts.length, result.conflicts.length, 'the preview lists the same conflicts')
      if (want.errorTypes) assert.deepStrictEqual(result.errors.map((m) => m.type), want.errorTypes, ctx)
      if (want.warningTypes) assert.deepStrictEqual(result.warnings.map((m) => m.type), want.warningTypes, ctx)
      if (!result.committed) {
        // Nothing written; a failed atomic import changes nothing.
        assert.equal(stats, null)
        assert.ok(!fs.existsSync(dest), 'nothing written')
        assert.equal(items.annotations + items.personas + items.entities, 0, 'honest counters')
        if (want.after) assert.deepStrictEqual(EXISTING_IDS, want.after)
        return
      }
      const out = lines(dest)
      const byId = annotations(out)
      assert.equal(stats.annotationCount, byId.size)
      assert.equal(stats.bytes, fs.statSync(dest).size)
      assert.deepStrictEqual(out.at(-1), {
        type: 'metadata',
        data: {
          exportDate: DATE,
          exportVersion: '1.0.0',
          exportedBy: out.at(-1).data.exportedBy,
          annotationCount: stats.annotationCount,
          sequenceCount: stats.sequenceCount,
          keyframeCount: stats.keyframeCount,
          interpolatedFrameCount: 0,
        },
      })
      if (want.after) assert.deepStrictEqual([...byId.keys()], want.after, ctx)
      if (want.afterCount !== undefined) assert.equal(byId.size, want.afterCount, ctx)
      for (const [id, frames] of Object.entries(want.keyframes ?? {})) {
        assert.deepStrictEqual(
          byId.get(id).boundingBoxSequence.boxes.map((b) => b.frameNumber),
          frames,
          `keyframes of ${id}`,
        )
      }
      for (const [id, segments] of Object.entries(want.segments ?? {})) {
        assert.deepStrictEqual(
          byId.get(id).boundingBoxSequence.interpolationSegments.map((g) => [g.startFrame, g.endFrame, g.type]),
          segments,
          `segments of ${id}`,
        )
      }
      for (const [id, hidden] of Object.entries(want.hidden ?? {})) {
        assert.deepStrictEqual(
          byId
            .get(id)
            .boundingBoxSequence.visibilityRanges.filter((r) => !r.visible)
            .map((r) => [r.startFrame, r.endFrame]),
          hidden,
          `hidden ranges of ${id}`,
        )
      }
      if (want.videos) {
        assert.deepStrictEqual(
          out.filter((l) => l.type === 'video').map((l) => l.data.id),
          want.videos,
        )
      }
      const personas = out.find((l) => l.type === 'ontology')?.data.personas ?? []
      if (want.personaCount !== undefined) assert.equal(personas.length, want.personaCount)
      if (want.renamedAnnotation) {
        const persona = byId.get(want.renamedAnnotation).personaId
        assert.notEqual(persona, 'p-1', 'the reference follows the renamed persona')
        const renamed = personas.find((p) => p.id === persona)
        assert.ok(renamed && renamed.name.endsWith('(imported)'))
      }
      for (const [id, count] of Object.entries(want.entityAssignments ?? {})) {
        const entity = out.find((l) => l.type === 'entity' && l.data.id === id)
        assert.equal((entity.data.typeAssignments ?? []).length, count)
      }
    })
  }
})

test('mergeJsonl: into an empty store, in place, and its rejections', async () => {
  const scenario = SCENARIOS.scenarios[0]
  const incoming = write(scenario.lines)
  // No existing dataset: the video and persona are missing (skipped by default).
  const dest = path.join(tmp, 'fresh.jsonl')
  const fresh = await mergeJsonl(null, incoming, dest, {
    options: { conflictResolution: { missingDependencies: 'create-placeholder' } },
  })
  assert.equal(fresh.result.success, true)
  assert.equal(fresh.result.summary.importedItems.annotations, 2)
  assert.ok(fresh.result.summary.importedItems.placeholders >= 1)
  // In place: the destination is the existing file.
  const store = path.join(tmp, 'store.jsonl')
  fs.copyFileSync(existingFile, store)
  const inPlace = await mergeJsonl(store, incoming, store)
  assert.equal(inPlace.result.committed, true)
  assert.deepStrictEqual([...annotations(lines(store)).keys()], scenario.expect.after)
  assert.deepStrictEqual(temporaries(), [])

  const never = path.join(tmp, 'never-merged.jsonl')
  const bad = [
    [{ options: { conflictResolution: { sequence: {} } } }, 'invalid-option'],
    [{ options: '{"bogus": true}' }, 'invalid-option'],
    [{ options: { conflictResolution: { personas: 'overwrite' } } }, 'invalid-option'],
    [{ options: { resolutions: [{ line: 1, type: 'duplicate-sequence', resolution: 'rename' }] } }, 'invalid-option'],
    [{ options: '{"bogus": ' }, 'invalid-json'],
    [{ options: 7 }, 'invalid-type'],
    [{ profile: 'nope' }, 'invalid-option'],
    [{ exportDate: 20250101 }, 'invalid-type'],
    [{ maxIssue: 3 }, 'invalid-option'],
  ]
  for (const [options, code] of bad) {
    await expectRejection(mergeJsonl(existingFile, incoming, never, options), code)
  }
  await expectRejection(mergeJsonl(path.join(tmp, 'missing.jsonl'), incoming, never), 'io', null)
  await expectRejection(mergeJsonl(existingFile, path.join(tmp, 'missing.jsonl'), never), 'io', null)
  await expectRejection(mergeJsonl(existingFile, incoming, 5), 'invalid-type', 'destination')
  // An existing dataset with an unreadable line is refused (a merge would drop it).
  const broken = write(SCENARIOS.existing.map((l) => JSON.stringify(l)).join('\n') + '\n{nope\n')
  await assert.rejects(mergeJsonl(broken, incoming, never), { code: 'invalid-json', line: SCENARIOS.existing.length + 1 })
  const ac = new AbortController()
  ac.abort()
  await assert.rejects(mergeJsonl(existingFile, incoming, never, { signal: ac.signal }), { name: 'AbortError' })
  assert.ok(!fs.existsSync(never))
})

test('previewImport: counts, warnings, issues and unreadable lines (the Rust preview test)', async () => {
  const text =
    '{"type":"annotation","data":{"id":"a","videoId":"vid-1","personaId":"p-1","typeId":"t","typeCategory":"entity","boundingBoxSequence":{"boxes":[{"x":0,"y":0,"width":0,"height":1,"frameNumber":0}]}}}\n\n{oops\n'
  const preview = await previewImport(write(text), { existing: existingFile })
  assert.equal(preview.counts.annotations, 1)
  assert.equal(preview.counts.totalKeyframes, 1)
  assert.equal(preview.counts.singleKeyframeSequences, 1)
  assert.equal(preview.counts.invalidLines, 1)
  assert.equal(preview.counts.unreadableLines, 1)
  assert.equal(preview.errors.length, 1)
  assert.deepStrictEqual([preview.errors[0].line, preview.errors[0].code], [3, 'invalid-json'])
  assert.ok(preview.warnings[0].startsWith('Line 1: '), preview.warnings[0])
  assert.equal(preview.issues[0].code, 'invalid-box-size')
  assert.deepStrictEqual(preview.conflicts, [])
})

test('previewImport: conflicts against an existing dataset or an empty store; rejections', async () => {
  const scenario = SCENARIOS.scenarios.find((s) => s.name.startsWith('TV-20 B'))
  const incoming = write(scenario.lines)
  const preview = await previewImport(incoming, { existing: existingFile, profile: 'fovea', maxIssues: 5 })
  assert.deepStrictEqual(preview.counts.lines, { annotation: 1 })
  assert.equal(preview.conflicts.length, 1)
  const [c] = preview.conflicts
  assert.deepStrictEqual([c.type, c.line, c.originalId, c.existingId], ['duplicate-sequence', 1, 'ann-dup', 'ann-dup'])
  assert.ok(!('resolution' in c), 'a preview resolves nothing')
  assert.ok(Array.isArray(preview.issues) && preview.issuesTruncated === 0)
  const empty = await previewImport(incoming)
  assert.deepStrictEqual(
    empty.conflicts.map((x) => [x.type, x.existingId]),
    [
      ['missing-dependency', 'vid-1'],
      ['missing-dependency', 'p-1'],
    ],
  )
  // Boxes are checked against the sizes of the existing videos (vid-1 is 1920 wide).
  const wide = structuredClone(scenario.lines[0])
  wide.data.id = 'wide'
  wide.data.boundingBoxSequence.boxes[0].x = 1900
  const outside = (p) => p.issues.filter((i) => i.code === 'box-outside-frame').length
  assert.equal(outside(await previewImport(write([wide]), { existing: existingFile })), 1)
  assert.equal(outside(await previewImport(write([wide]))), 0, 'no size known in an empty store')
  await expectRejection(previewImport(path.join(tmp, 'missing.jsonl')), 'io', null)
  await expectRejection(previewImport(incoming, { existing: path.join(tmp, 'missing.jsonl') }), 'io', null)
  await expectRejection(previewImport(incoming, { existing: 3 }), 'invalid-type', 'options.existing')
  await expectRejection(previewImport(incoming, { profile: 'strict' }), 'invalid-option', null)
  const ac = new AbortController()
  ac.abort()
  await assert.rejects(previewImport(incoming, { signal: ac.signal }), { name: 'AbortError', code: 'ABORT_ERR' })
})

test('previewImport and mergeJsonl: memoryBudget and spillDir', async () => {
  // Every scenario's lines in one file: conflicts with the store and within the file.
  const incoming = write(SCENARIOS.scenarios.flatMap((s) => s.lines))
  const spillDir = fs.mkdtempSync(path.join(tmp, 'spill-'))
  const inMemory = await previewImport(incoming, { existing: existingFile })
  assert.ok(inMemory.conflicts.length > 5, JSON.stringify(inMemory.conflicts))
  // A budget of 0 bytes spills the in-file tables at every record: the same preview.
  const spilled = await previewImport(incoming, { existing: existingFile, memoryBudget: 0, spillDir })
  assert.deepStrictEqual(spilled, inMemory)
  const merged = async (name, memory) => {
    const dest = path.join(tmp, name)
    const options = { transaction: { atomic: false } }
    const out = await mergeJsonl(existingFile, incoming, dest, { options, exportDate: DATE, ...memory })
    return [out.result, fs.readFileSync(dest, 'utf8')]
  }
  assert.deepStrictEqual(await merged('spilled.jsonl', { memoryBudget: 0, spillDir }), await merged('in-memory.jsonl', {}))
  // A spill directory is checked when given; a budget is a byte count.
  const never = path.join(tmp, 'never-spilled.jsonl')
  for (const dir of [path.join(tmp, 'no-such-dir'), incoming]) {
    await assert.rejects(previewImport(incoming, { spillDir: dir }), (e) => e.code === 'io' && e.message.includes(dir))
    await expectRejection(mergeJsonl(existingFile, incoming, never, { spillDir: dir }), 'io', null)
  }
  assert.ok(!fs.existsSync(never))
  await expectRejection(previewImport(incoming, { memoryBudget: -1 }), 'invalid-type', 'options.memoryBudget')
  await expectRejection(previewImport(incoming, { memoryBudget: 1.5 }), 'invalid-type', 'options.memoryBudget')
  await expectRejection(previewImport(incoming, { spillDir: 3 }), 'invalid-type', 'options.spillDir')
})

test('calls run concurrently on the thread pool', async () => {
  const dest = path.join(tmp, 'concurrent.jsonl')
  const results = await Promise.all([
    exportJsonl(shipFile, dest, { mode: 'interpolated' }),
    statsJsonl(shipFile),
    validateJsonl(shipFile),
    previewImport(shipFile),
    collect(readJsonl(shipFile)),
  ])
  assert.equal(results[0].interpolatedFrameCount, 357)
  assert.equal(results[1].frames, 361)
  assert.equal(results[2].valid, true)
  assert.equal(results[3].counts.annotations, 1)
  assert.equal(results[4].length, 2)
})

test('the shared merge scenarios (testdata/ops/merge.json) report as every front end does', async () => {
  const doc = JSON.parse(fs.readFileSync(path.join(TESTDATA, 'ops', 'merge.json'), 'utf8'))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-node-merge-'))
  const writeLines = (file, lines) => fs.writeFileSync(file, lines.map((l) => JSON.stringify(l) + '\n').join(''))
  try {
    const existing = path.join(dir, 'existing.jsonl')
    writeLines(existing, doc.existing)
    for (const c of doc.cases) {
      const incoming = path.join(dir, 'in.jsonl')
      writeLines(incoming, c.incoming)
      const report = await mergeJsonl(existing, incoming, path.join(dir, 'out.jsonl'), c.options)
      const got = {
        committed: report.result.committed,
        success: report.result.success,
        imported: report.result.summary.importedItems.annotations,
        written: report.stats && report.stats.annotationCount,
        issueCodes: report.preview.issues.map((i) => i.code),
        issuesTruncated: report.preview.issuesTruncated,
      }
      assert.deepStrictEqual(got, c.expect, c.name)
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('the shared failure scenarios (testdata/ops/errors.json) fail alike in every front end', async () => {
  const doc = JSON.parse(fs.readFileSync(path.join(TESTDATA, 'ops', 'errors.json'), 'utf8'))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-node-errors-'))
  try {
    for (const c of doc.cases) {
      let input = path.join(dir, 'in.jsonl')
      if (c.input.missing) input = path.join(dir, 'missing.jsonl')
      else if (c.input.folder) input = dir
      else fs.writeFileSync(input, c.input.lines.map((l) => l + '\n').join(''))
      const existing = path.join(dir, 'existing.jsonl')
      fs.writeFileSync(existing, (c.existing || []).map((l) => l + '\n').join(''))
      const out = path.join(dir, 'out.jsonl')
      const call = {
        stats: () => statsJsonl(input, c.options),
        validate: () => validateJsonl(input, c.options),
        export: () => exportJsonl(input, out, c.options),
        merge: () => mergeJsonl(existing, input, out, c.options),
      }[c.op]
      let error
      await assert.rejects(call(), (e) => {
        error = e
        return true
      })
      assert.equal(error.code, c.expect.code, `${c.name}: ${error.message}`)
      assert.equal(error.line ?? null, c.expect.line, c.name)
      assert.equal(error.ioKind ?? null, c.expect.ioKind, c.name)
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
