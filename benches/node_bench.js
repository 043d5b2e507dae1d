#!/usr/bin/env node
'use strict'
// Benchmark of the Node binding (run against the release build):
//
//   (cd node && npm run build) && node benches/node_bench.js [frames] [runs]
//   node benches/node_bench.js --only objects      # the host-object figures alone
//
// Host objects, each against a baseline written in JavaScript and timed in the same process
// (medians of interleaved runs):
// * `interpolate(obj)` and `seq.interpolate()` on a 2-keyframe linear sequence of 10,000 /
//   50,000 / 1,000,000 frames, against a plain loop that builds the same objects from the
//   typed arrays of `seq.toTypedArrays()` (the call included). Target: <= 1.2x. With
//   FOVEA_REPO set to a checkout of FOVEA, also FOVEA's own engine
//   (annotation-tool/src/utils/interpolation.ts, compiled here with the dev dependency `tsc`):
//   the goal is at least 2x faster up to 50k frames and no slower at 1M.
// * `readJsonl` of 100,000 annotation records (5 keyframes each) into objects, against
//   reading the file and `JSON.parse` of each line. Target: <= 1.2x.
// * `new Sequence(obj)` of a 1,001-keyframe sequence, against `JSON.parse` of its text.
//   Target: <= 2x.
//
// Times `seq.toTypedArrays()` on a 2-keyframe linear sequence spanning N frames (default
// 1,000,000) against the floor of producing the same buffers in JavaScript: allocating
// `new Int32Array(N)` + `new Float64Array(4 * N)` and touching every page (`fill(0)`). Prints
// the medians of `runs` (default 21, at least 15) interleaved timings after a warm-up, and their
// ratio (target: <= 1.5x). Run with `node --expose-gc` to collect garbage between timings.
//
// Then the JSON Lines exchange: generates (in JavaScript) a source file of A synthetic
// annotations (default 100,000; env FOVEA_BENCH_ANNOTATIONS, 0 skips this part) with 5
// keyframes each (frames 0, 30, 60, 90, 120: 121 frames), plus an ontology line and 10 video
// lines, and times `exportJsonl` in keyframes and interpolated mode, `previewImport` (empty
// store) and a `for await` over `readJsonl`, each in a fresh child process. Prints seconds,
// MB/s of the source read (and of the output written, for exports) and the child's peak RSS:
// `process.resourceUsage().maxRSS` and, on Linux, `VmHWM` (maxRSS can carry memory inherited
// from the parent at fork; VmHWM is the child's own). The keyframes export reads the source
// once per export group (5 passes: the core's constant-memory export).

const path = require('node:path')
const fovea = require(path.join(__dirname, '..', 'node'))
const { Sequence } = fovea

if (process.argv[2] === '--jsonl-phase') {
  // A child process timing one JSON Lines call (see `jsonlBenchmark`).
  runPhase(process.argv[3], process.argv[4], process.argv[5]).then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (e) => {
      console.error(e)
      process.exit(1)
    },
  )
} else if (process.argv[2] === '--frames-phase') {
  // A child process timing the frame objects of one size (see `objectsBenchmark`).
  framesPhase(Number(process.argv[3])).catch((e) => {
    console.error(e)
    process.exit(1)
  })
} else if (process.argv[2] === '--only' && process.argv[3] === 'objects') {
  objectsBenchmark().catch((e) => {
    console.error(e)
    process.exit(1)
  })
} else {
  typedArraysBenchmark()
  jsonlBenchmark()
  objectsBenchmark().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}

/**
 * Medians (ms) of `a` and `b` run in turn, A B B A A B …, after warm-ups of each (a third of
 * `runs`, so that V8 has optimised both). No collection is forced: each pays for the garbage the
 * other left, and the alternating order spreads the collections that land on whichever runs
 * second.
 */
async function interleaved(a, b, runs) {
  for (let i = 0; i < Math.max(2, Math.floor(runs / 3)); i++) {
    await a()
    await b()
  }
  const ta = []
  const tb = []
  for (let i = 0; i < runs; i++) {
    const pair = [
      [a, ta],
      [b, tb],
    ]
    for (const [fn, ts] of i % 2 ? pair.reverse() : pair) {
      const t0 = process.hrtime.bigint()
      const result = await fn()
      ts.push(Number(process.hrtime.bigint() - t0) / 1e6)
      if (result === undefined) throw new Error('no result')
    }
  }
  const median = (xs) => {
    const v = [...xs].sort((p, q) => p - q)
    return v[v.length >> 1]
  }
  return [median(ta), median(tb)]
}

function report(name, ours, base, baseName, target) {
  const ratio = ours / base
  const verdict = ratio <= target ? 'ok' : 'ABOVE TARGET'
  console.log(
    `  ${name.padEnd(40)} ${ours.toFixed(2).padStart(9)} ms   ${baseName.padEnd(34)} ${base.toFixed(2).padStart(9)} ms   ratio ${ratio.toFixed(2)} (target <= ${target}) ${verdict}`,
  )
}

/** `interpolate()` objects of an `n`-frame sequence against the baselines (one process). */
async function framesPhase(n) {
  const engine = foveaEngine()
  const data = {
    boxes: [
      { x: 0, y: 0, width: 100, height: 80, frameNumber: 0, isKeyframe: true },
      { x: 1920.5, y: 1080.25, width: 200, height: 160, frameNumber: n - 1, isKeyframe: true },
    ],
    interpolationSegments: [{ startFrame: 0, endFrame: n - 1, type: 'linear' }],
    visibilityRanges: [],
  }
  const seq = new Sequence(data)
  const loop = () => {
    const { frames, boxes } = seq.toTypedArrays()
    const len = frames.length
    const out = new Array(len)
    for (let i = 0, j = 0; i < len; i++, j += 4) {
      out[i] = { x: boxes[j], y: boxes[j + 1], width: boxes[j + 2], height: boxes[j + 3], frameNumber: frames[i], isKeyframe: false }
    }
    return out
  }
  const got = seq.interpolate()
  const want = loop()
  if (got.length !== n || got[n >> 1].x !== want[n >> 1].x || got[n >> 1].frameNumber !== n >> 1) {
    throw new Error('interpolate() disagrees with the typed arrays')
  }
  const runs = n >= 1_000_000 ? 15 : 61
  const size = `${n.toLocaleString('en-US')} frames`
  const [module, base1] = await interleaved(() => fovea.interpolate(data), loop, runs)
  report(`interpolate(obj), ${size}`, module, base1, 'JS loop over toTypedArrays()', 1.2)
  const [method, base2] = await interleaved(() => seq.interpolate(), loop, runs)
  report(`seq.interpolate(), ${size}`, method, base2, 'JS loop over toTypedArrays()', 1.2)
  if (engine) {
    const [ours, theirs] = await interleaved(
      () => fovea.interpolate(data),
      () => engine.interpolate(data.boxes, data.interpolationSegments, data.visibilityRanges),
      runs,
    )
    report(`interpolate(obj), ${size}`, ours, theirs, "FOVEA's engine", n <= 50_000 ? 0.5 : 1)
  }
}

/** FOVEA's eager engine, compiled from FOVEA_REPO's TypeScript, or null. */
function foveaEngine() {
  const repo = process.env.FOVEA_REPO
  if (!repo) return null
  const fs = require('node:fs')
  const os = require('node:os')
  const { execFileSync } = require('node:child_process')
  const src = path.join(repo, 'annotation-tool', 'src')
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-engine-'))
  const tsc = path.join(__dirname, '..', 'node', 'node_modules', '.bin', 'tsc')
  execFileSync(tsc, ['--outDir', out, '--rootDir', src, '--module', 'commonjs', '--target', 'es2020', '--noCheck', '--skipLibCheck', path.join(src, 'utils', 'interpolation.ts')])
  const { BoundingBoxInterpolator } = require(path.join(out, 'utils', 'interpolation.js'))
  return new BoundingBoxInterpolator()
}

async function objectsBenchmark() {
  console.log(`\nHost objects (node ${process.version}): medians of interleaved runs, each size in a fresh process`)
  const { execFileSync } = require('node:child_process')
  for (const n of [10_000, 50_000, 1_000_000]) {
    // A fresh process per size: V8 tunes each allocation site to the sizes it has seen, and
    // what one size teaches would skew the next, for the baseline as for fovea.
    const out = execFileSync(process.execPath, [__filename, '--frames-phase', String(n)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    process.stdout.write(out)
  }

  const fs = require('node:fs')
  const os = require('node:os')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-node-objects-'))
  try {
    const count = Number(process.env.FOVEA_BENCH_ANNOTATIONS ?? 100_000)
    const source = path.join(dir, 'records.jsonl')
    generateSource(source, count)
    const ours = async () => {
      const records = []
      for await (const r of fovea.readJsonl(source)) records.push(r)
      return records
    }
    const base = () => {
      const records = []
      for (const line of fs.readFileSync(source, 'utf8').split('\n')) {
        if (line) records.push(JSON.parse(line))
      }
      return records
    }
    if ((await ours()).length !== base().length) throw new Error('record counts differ')
    const [tOurs, tBase] = await interleaved(ours, base, 5)
    report(`readJsonl, ${count.toLocaleString('en-US')} records`, tOurs, tBase, 'read + JSON.parse of each line', 1.2)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }

  const boxes = []
  for (let i = 0; i <= 1000; i++) {
    boxes.push({ x: i * 1.5, y: i * 0.25 + 3, width: 100 + (i % 7), height: 50.5, frameNumber: i * 10, isKeyframe: true, confidence: 0.75 })
  }
  const big = {
    boxes,
    interpolationSegments: boxes.slice(1).map((_, i) => ({ startFrame: i * 10, endFrame: i * 10 + 10, type: 'linear' })),
    visibilityRanges: [{ startFrame: 0, endFrame: 10_000, visible: true }],
  }
  const text = JSON.stringify(big)
  if (!new Sequence(big).equals(Sequence.fromJSON(text))) throw new Error('object and text read differently')
  const [read, parse] = await interleaved(() => new Sequence(big), () => JSON.parse(text), 61)
  report('new Sequence(obj), 1,001 keyframes', read, parse, 'JSON.parse of its text', 2)
}

function typedArraysBenchmark() {
  const N = Number(process.argv[2] ?? 1_000_000)
  const RUNS = Math.max(15, Number(process.argv[3] ?? 21))
  const WARMUP = 5

  const seq = new Sequence({
    boxes: [
      { x: 0, y: 0, width: 100, height: 100, frameNumber: 0, isKeyframe: true },
      { x: 1000, y: 500, width: 200, height: 50, frameNumber: N - 1, isKeyframe: true },
    ],
    interpolationSegments: [{ startFrame: 0, endFrame: N - 1, type: 'linear' }],
    visibilityRanges: [],
  })

  let sink = 0

  function timeAddon() {
    const t0 = process.hrtime.bigint()
    const { frames, boxes } = seq.toTypedArrays()
    const t1 = process.hrtime.bigint()
    sink += frames[N - 1] + boxes[4 * N - 1]
    if (frames.length !== N || boxes.length !== 4 * N) throw new Error('wrong length')
    return Number(t1 - t0) / 1e6
  }

  function timeBaseline() {
    const t0 = process.hrtime.bigint()
    const frames = new Int32Array(N).fill(0)
    const boxes = new Float64Array(4 * N).fill(0)
    const t1 = process.hrtime.bigint()
    sink += frames[N - 1] + boxes[4 * N - 1]
    return Number(t1 - t0) / 1e6
  }

  function median(xs) {
    const s = [...xs].sort((a, b) => a - b)
    const m = s.length >> 1
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
  }

  const gc = typeof global.gc === 'function' ? global.gc : () => {}

  // Correctness spot check before timing.
  const check = seq.toTypedArrays()
  const mid = N >> 1
  const expected = seq.at(mid)
  if (check.frames[mid] !== mid || Math.abs(check.boxes[4 * mid] - expected.x) > 1e-9) {
    throw new Error('toTypedArrays disagrees with at()')
  }

  for (let i = 0; i < WARMUP; i++) {
    timeAddon()
    timeBaseline()
  }
  const addon = []
  const baseline = []
  for (let i = 0; i < RUNS; i++) {
    gc()
    addon.push(timeAddon())
    gc()
    baseline.push(timeBaseline())
  }

  const a = median(addon)
  const b = median(baseline)
  console.log(`frames: ${N.toLocaleString('en-US')}, runs: ${RUNS} (after ${WARMUP} warm-up), node ${process.version}, gc between runs: ${typeof global.gc === 'function'}`)
  console.log(`seq.toTypedArrays()                          median ${a.toFixed(2)} ms  (min ${Math.min(...addon).toFixed(2)}, max ${Math.max(...addon).toFixed(2)})`)
  console.log(`new Int32Array(N) + new Float64Array(4N) + fill(0)  median ${b.toFixed(2)} ms  (min ${Math.min(...baseline).toFixed(2)}, max ${Math.max(...baseline).toFixed(2)})`)
  console.log(`ratio: ${(a / b).toFixed(2)}x (target <= 1.5x)`)
  if (!Number.isFinite(sink)) console.log(sink)
}

async function runPhase(phase, source, dest) {
  const t0 = process.hrtime.bigint()
  let detail
  if (phase === 'export-keyframes' || phase === 'export-interpolated') {
    const mode = phase.slice('export-'.length)
    const stats = await fovea.exportJsonl(source, dest, { mode, exportDate: '2025-01-01T00:00:00.000Z' })
    if (stats.readErrors.length > 0) throw new Error('read errors')
    detail = { written: stats.bytes, annotations: stats.annotationCount, boxes: stats.keyframeCount + stats.interpolatedFrameCount }
  } else if (phase === 'preview') {
    const preview = await fovea.previewImport(source)
    detail = { annotations: preview.counts.annotations, conflicts: preview.conflicts.length, issues: preview.issues.length }
  } else if (phase === 'read') {
    let records = 0
    let boxes = 0
    for await (const r of fovea.readJsonl(source)) {
      records++
      if (r.type === 'annotation') boxes += r.data.boundingBoxSequence.boxes.length
    }
    detail = { records, boxes }
  } else {
    throw new Error(`unknown phase ${phase}`)
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  return { seconds, maxRSS: process.resourceUsage().maxRSS, hwm: highWaterMark(), ...detail }
}

/**
 * Peak RSS of this process's own memory in KiB (Linux `VmHWM`), or undefined: on Linux the
 * `maxRSS` of a child process can carry memory of its parent inherited at fork.
 */
function highWaterMark() {
  try {
    const status = require('node:fs').readFileSync('/proc/self/status', 'utf8')
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status)
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}

/** Writes the synthetic source file; returns its size in bytes. */
function generateSource(file, count) {
  const fs = require('node:fs')
  const fd = fs.openSync(file, 'w')
  const videos = 10
  const chunk = []
  const flush = () => {
    fs.writeSync(fd, chunk.join(''))
    chunk.length = 0
  }
  chunk.push(
    JSON.stringify({
      type: 'ontology',
      data: {
        personas: [{ id: 'p-1', name: 'Analyst', role: 'analyst', informationNeed: 'ships' }],
        personaOntologies: [],
      },
    }) + '\n',
  )
  for (let i = 0; i < count; i++) {
    const x = (i * 37) % 1500
    const y = (i * 53) % 800
    const boxes = [0, 30, 60, 90, 120].map((frameNumber, k) => ({
      x: x + 10 * k,
      y: y + 5 * k,
      width: 120 + k,
      height: 80 + 2 * k,
      frameNumber,
      isKeyframe: true,
      confidence: 0.9,
    }))
    const annotation = {
      type: 'annotation',
      data: {
        id: `ann-${i}`,
        videoId: `vid-${i % videos}`,
        annotationType: 'type',
        personaId: 'p-1',
        typeCategory: 'entity',
        typeId: 'ship',
        boundingBoxSequence: {
          boxes,
          interpolationSegments: [
            { startFrame: 0, endFrame: 30, type: 'linear' },
            { startFrame: 30, endFrame: 60, type: 'ease-in-out' },
            { startFrame: 60, endFrame: 90, type: 'linear' },
            { startFrame: 90, endFrame: 120, type: 'ease-out' },
          ],
          visibilityRanges: [{ startFrame: 0, endFrame: 120, visible: true }],
          totalFrames: 121,
          keyframeCount: 5,
          interpolatedFrameCount: 116,
        },
        createdAt: '2025-01-01T00:00:00.000Z',
        updatedAt: '2025-01-01T00:00:00.000Z',
      },
    }
    chunk.push(JSON.stringify(annotation) + '\n')
    if (chunk.length >= 1000) flush()
  }
  for (let v = 0; v < videos; v++) {
    chunk.push(JSON.stringify({ type: 'video', data: { id: `vid-${v}`, title: `Video ${v}`, width: 1920, height: 1080 } }) + '\n')
  }
  flush()
  fs.closeSync(fd)
  return fs.statSync(file).size
}

function jsonlBenchmark() {
  const fs = require('node:fs')
  const os = require('node:os')
  const { execFileSync } = require('node:child_process')
  const count = Number(process.env.FOVEA_BENCH_ANNOTATIONS ?? 100_000)
  if (!(count > 0)) return
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-node-bench-'))
  try {
    const source = path.join(dir, 'source.jsonl')
    const t0 = process.hrtime.bigint()
    const size = generateSource(source, count)
    const generated = Number(process.hrtime.bigint() - t0) / 1e9
    const mb = (bytes) => bytes / 1e6
    console.log()
    console.log(`(each call in a fresh process; maxRSS = process.resourceUsage().maxRSS, which on Linux can carry memory of the parent inherited at fork (RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB here); VmHWM = the child's own peak)`)
    console.log(`JSON Lines: ${count.toLocaleString('en-US')} annotations x 5 keyframes (121 frames each), source ${mb(size).toFixed(1)} MB, generated in JS in ${generated.toFixed(2)} s`)
    for (const phase of ['export-keyframes', 'export-interpolated', 'preview', 'read']) {
      const dest = path.join(dir, `${phase}.jsonl`)
      const out = execFileSync(process.execPath, [__filename, '--jsonl-phase', phase, source, dest], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      })
      const r = JSON.parse(out)
      const name = {
        'export-keyframes': 'exportJsonl keyframes',
        'export-interpolated': 'exportJsonl interpolated',
        preview: 'previewImport (empty store)',
        read: 'for await readJsonl',
      }[phase]
      let line = `${name.padEnd(28)} ${r.seconds.toFixed(2).padStart(6)} s  read ${(mb(size) / r.seconds).toFixed(0).padStart(4)} MB/s`
      if (r.written !== undefined) {
        line += `  wrote ${mb(r.written).toFixed(1)} MB (${(mb(r.written) / r.seconds).toFixed(0)} MB/s, ${r.boxes.toLocaleString('en-US')} boxes)`
      }
      if (r.records !== undefined) line += `  ${(r.records / r.seconds).toFixed(0)} records/s`
      if (r.conflicts !== undefined) line += `  ${r.conflicts} conflicts, ${r.issues} issues`
      line += `  peak RSS: maxRSS ${(r.maxRSS / 1024).toFixed(0)} MiB`
      if (r.hwm !== undefined) line += `, VmHWM ${(r.hwm / 1024).toFixed(0)} MiB`
      console.log(line)
      fs.rmSync(dest, { force: true })
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
