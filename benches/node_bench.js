#!/usr/bin/env node
'use strict'
// Benchmark of the Node binding's columnar output (run against the release build):
//
//   (cd node && npm run build) && node benches/node_bench.js [frames] [runs]
//
// Times `seq.toTypedArrays()` on a 2-keyframe linear sequence spanning N frames (default
// 1,000,000) against the floor of producing the same buffers in JavaScript: allocating
// `new Int32Array(N)` + `new Float64Array(4 * N)` and touching every page (`fill(0)`). Prints
// the medians of `runs` (default 21, at least 15) interleaved timings after a warm-up, and their
// ratio (target: <= 1.5x). Run with `node --expose-gc` to collect garbage between timings.

const path = require('node:path')
const { Sequence } = require(path.join(__dirname, '..', 'node'))

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
