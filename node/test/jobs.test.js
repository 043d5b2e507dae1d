'use strict'
// Tracking jobs from Node: JobQueue on the in-process queue and, with a throwaway redis-server
// (FOVEA_REDIS_SERVER or redis-server on the PATH; skipped without one unless
// FOVEA_REQUIRE_SERVICES=1), on BullMQ; workers whose handler is a JavaScript function;
// FOVEA's status shapes; the track converters and reducer.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const fovea = require('..')
const { JobQueue, UnrecoverableError } = fovea
const { expectRejection, expectCode, startRedis } = require('./helpers')

const FAST_RETRY = { attempts: 2, backoff: { type: 'fixed', delay: 1 } }

test('a JS handler completes jobs, reports progress, and statuses take FOVEA shapes', async () => {
  const q = await JobQueue.open()
  assert.equal(q.backend, 'in-process')
  assert.equal(q.name, 'object-tracking')
  const seen = []
  const w = await q.worker(
    async (job) => {
      seen.push([job.id, job.name, job.attemptsMade, job.cancelled])
      job.progress(40)
      return { boxes: job.data.n * 2 }
    },
    { concurrency: 2 },
  )
  assert.deepEqual(await q.add({ n: 21 }, { id: 'job-1' }), { jobId: 'job-1', duplicate: false })
  const view = await q.wait('job-1', { timeoutMs: 30000 })
  assert.equal(w.running, true)
  const report = await w.close(1000)
  assert.equal(report.completed, 1)
  assert.equal(w.running, false)
  assert.deepEqual(seen, [['job-1', 'track', 0, false]])
  assert.equal(view.state, 'completed')
  assert.deepEqual(view.result, { boxes: 42 })
  assert.equal(view.progress, 40)
  assert.deepEqual(await q.status('job-1', { shape: 'summary' }), {
    jobId: 'job-1',
    status: 'completed',
    progress: 40,
    result: { boxes: 42 },
    error: null,
  })
  assert.equal((await q.status('job-1', { shape: 'mapped' })).status, 'completed')
  const frontend = await q.status('job-1', { shape: 'frontend' })
  assert.equal(frontend.state, 'completed')
  assert.deepEqual(frontend.returnvalue, { boxes: 42 })
  assert.equal((await q.counts()).completed, 1)
  assert.deepEqual((await q.list({ states: ['completed'] })).map((v) => v.jobId), ['job-1'])
  assert.equal((await q.add({ n: 1 }, { id: 'job-1' })).duplicate, true)
  assert.equal(await q.status('nope'), null)
  await q.close()
})

test('UnrecoverableError fails at once; other errors are retried', async () => {
  const q = await JobQueue.open()
  const calls = []
  const w = await q.worker(async (job) => {
    calls.push(job.id)
    if (job.data.kind === 'fatal') throw new UnrecoverableError('no such video')
    throw new RangeError(`flaky on attempt ${job.attemptsMade}`)
  })
  await q.add({ kind: 'fatal' }, { id: 'fatal', jobOptions: FAST_RETRY })
  await q.add({ kind: 'flaky' }, { id: 'flaky', jobOptions: FAST_RETRY })
  const fatal = await q.wait('fatal', { timeoutMs: 30000 })
  const flaky = await q.wait('flaky', { timeoutMs: 30000 })
  await w.close()
  assert.equal(fatal.state, 'failed')
  assert.equal(fatal.attemptsMade, 1)
  assert.equal(fatal.error, 'UnrecoverableError: no such video')
  assert.equal(flaky.state, 'failed')
  assert.equal(flaky.attemptsMade, 2)
  assert.equal(flaky.error, 'RangeError: flaky on attempt 1')
  assert.match(flaky.stacktrace.at(-1), /jobs\.test\.js/)
  assert.equal(calls.filter((c) => c === 'flaky').length, 2)
})

test('a result that is not JSON fails the job and names the path', async () => {
  const q = await JobQueue.open()
  const w = await q.worker(() => ({ when: 10n }))
  await q.add({}, { id: 'bad' })
  const view = await q.wait('bad', { timeoutMs: 30000 })
  await w.close()
  assert.equal(view.state, 'failed')
  assert.match(view.error, /not JSON.*when/)
})

test('cancelling a running job reaches the handler', async () => {
  const q = await JobQueue.open()
  let started
  const running = new Promise((resolve) => (started = resolve))
  const w = await q.worker(async (job) => {
    started()
    while (!job.cancelled) await new Promise((r) => setImmediate(r))
    return 'ignored'
  })
  await q.add({}, { id: 'long' })
  await running
  assert.equal(await q.cancel('long'), 'signalled')
  const view = await q.wait('long', { timeoutMs: 30000 })
  await w.close()
  assert.equal(view.state, 'failed')
  assert.equal(view.error, 'cancelled')
  assert.equal(view.result, undefined)
})

test('wait rejects with code timeout; bad arguments reject with typed codes', async () => {
  const q = await JobQueue.open()
  await q.add({}, { id: 'never' })
  const late = await expectRejection(q.wait('never', { timeoutMs: 10 }), 'timeout')
  assert.equal(late.path, 'timeoutMs')
  assert.ok(late.message.includes('never'), late.message)
  await expectRejection(q.add({}, { jobOptions: { atempts: 2 } }), 'invalid-option', 'options')
  await expectRejection(q.add({}, { id: '12' }), 'invalid-job-id')
  await expectRejection(q.add({ x: [1, NaN] }), 'non-finite-number', 'data.x[1]')
  await expectRejection(q.cancel('missing'), 'job-not-found')
  await expectRejection(q.status('x', { shape: 'fancy' }), 'invalid-option')
  await expectRejection(q.list({ states: ['running'] }), 'invalid-option')
  await expectRejection(q.startWorker({ concurrency: 0 }), 'invalid-option')
  await expectRejection(q.worker(42), 'invalid-type', 'handler')
  await expectRejection(JobQueue.open('http://localhost:6379'), 'invalid-option')
  assert.ok(fovea.JOB_ERROR_CODES.includes('queue-backend'))
  await q.close()
  await expectRejection(q.add({}), 'queue-closed')
})

test('track converters and the reducer', () => {
  const straight = {
    trackId: 1,
    label: 'car',
    confidence: 0.9,
    model: 'samurai',
    videoWidth: 1920,
    videoHeight: 1080,
    frames: Array.from({ length: 1000 }, (_, f) => ({
      frameNumber: f,
      box: { x: 0.5 * f, y: 10, width: 50, height: 40 },
      confidence: 0.9,
      occluded: false,
    })),
  }
  const kept = (seq) => seq.keyframes.map((b) => b.frameNumber)
  assert.equal(fovea.trackToSequence(straight).keyframes.length, 1000)
  assert.deepEqual(kept(fovea.reduceTrack(straight, 0.5)), [0, 999])
  assert.deepEqual(kept(fovea.reduceTrack(JSON.stringify(straight), 0.5)), [0, 999])
  assert.deepEqual(kept(fovea.decimateTrack(straight, 100)).slice(0, 3), [0, 100, 200])
  const bad = structuredClone(straight)
  bad.frames[3].box.x = 'left'
  expectCode(() => fovea.trackToSequence(bad), 'invalid-type', 'frames[3].box.x')
  expectCode(() => fovea.reduceTrack(straight, -1), 'invalid-option')
  const response = {
    id: 'j',
    video_id: 'v',
    video_width: 3,
    video_height: 4,
    frames: [
      {
        frame_number: 0,
        timestamp: 0,
        processing_time: 0.1,
        masks: [{ object_id: 1, mask_rle: { size: [4, 3], counts: [5, 2, 5] }, confidence: 0.5, is_occluded: false }],
      },
    ],
  }
  const tracks = fovea.tracksFromService(response, { labels: { 1: 'person' } })
  assert.equal(tracks.length, 1)
  assert.equal(tracks[0].label, 'person')
  assert.deepEqual(fovea.rleBbox({ size: [4, 3], counts: [5, 2, 5] }), [1, 1, 1, 2])
  assert.equal(fovea.rleBbox({ size: [4, 3], counts: [12] }), null)
})

test('a JS worker on a BullMQ queue', async (t) => {
  const url = await startRedis(t)
  if (url === null) return
  const name = `node-${process.pid}`
  const producer = await JobQueue.open(url, { name })
  const consumer = await JobQueue.open(url, { name })
  assert.equal(producer.backend, 'bullmq')
  const w = await consumer.worker(
    async (job) => {
      job.progress({ framesDone: 5, framesTotal: 10 })
      if (job.data.fail) throw new UnrecoverableError('model refused the video')
      return { tracks: [job.data.videoId] }
    },
    { concurrency: 2 },
  )
  await producer.add({ videoId: 'v1' }, { id: 'ok' })
  await producer.add({ videoId: 'v2', fail: true }, { id: 'bad' })
  const ok = await producer.wait('ok', { timeoutMs: 60000 })
  const bad = await producer.wait('bad', { timeoutMs: 60000 })
  await w.close()
  assert.equal(ok.state, 'completed')
  assert.deepEqual(ok.result, { tracks: ['v1'] })
  assert.deepEqual(ok.progress, { framesDone: 5, framesTotal: 10 })
  assert.equal(bad.state, 'failed')
  assert.equal(bad.attemptsMade, 1)
  assert.equal((await producer.status('bad', { shape: 'frontend' })).failedReason, 'UnrecoverableError: model refused the video')
  assert.equal((await producer.add({ videoId: 'v1' }, { id: 'ok' })).duplicate, true)
  assert.equal(await producer.remove('ok'), true)
  assert.equal(await producer.status('ok'), null)
  await producer.close()
  await consumer.close()
})

test("fovea's native tracking worker against a simulated model service", async () => {
  const { SimulatedModelService } = fovea
  const service = await SimulatedModelService.start({
    videos: { v1: { width: 640, height: 480, frames: 60 } },
    velocity: [2, 0],
  })
  assert.match(service.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  const q = await JobQueue.open()
  const w = await q.trackingWorker({ modelService: service.url, tolerance: 0.5 })
  const job = (videoId) => ({
    schemaVersion: 1,
    videoId,
    model: 'samurai',
    frameRange: { start: 0, end: 59 },
    videoWidth: 640,
    videoHeight: 480,
    objects: [{ objectId: 1, label: 'ship', initialBox: { x: 100, y: 200, width: 40, height: 20 } }],
  })
  await q.add(job('v1'), { id: 't1' })
  await q.add(job('elsewhere'), { id: 't2' })
  const done = await q.wait('t1', { timeoutMs: 60000 })
  const missing = await q.wait('t2', { timeoutMs: 60000 })
  await w.close()
  assert.ok(service.requests >= 2)
  service.close()
  assert.equal(done.state, 'completed')
  const [seq] = done.result.sequences
  assert.equal(seq.trackedFrames, 60)
  assert.deepEqual(seq.sequence.boxes.map((b) => b.frameNumber), [0, 59])
  for (const frame of done.result.tracks[0].frames) {
    assert.ok(Math.abs(fovea.boxAt(seq.sequence, frame.frameNumber).x - frame.box.x) <= 0.5)
  }
  assert.equal(missing.state, 'failed')
  assert.equal(missing.attemptsMade, 1, 'a 404 is not retried')
  await expectRejection(SimulatedModelService.start({ videos: { v1: { width: 1 } } }), 'invalid-option')
  await expectRejection(q.trackingWorker({}), 'missing-field', 'options')
  await expectRejection(q.trackingWorker({ modelService: service.url, tolerence: 1 }), 'invalid-option', 'options.tolerence')
  await expectRejection(q.trackingWorker({ modelService: service.url, tolerance: -1 }), 'invalid-option')
  await expectRejection(
    q.trackingWorker({ modelService: service.url, db: 'postgres://nobody@127.0.0.1:1/none' }),
    'queue-backend',
  )
})

test('checkTrackingJob fills in defaults and names the field at fault', () => {
  const job = { schemaVersion: 1, videoId: 'v1', objects: [{ objectId: 1, initialBox: { x: 1, y: 2, width: 3, height: 4 } }] }
  const checked = fovea.checkTrackingJob(job)
  assert.equal(checked.model, 'samurai')
  assert.deepStrictEqual(checked.objects[0].initialBox, { x: 1, y: 2, width: 3, height: 4 })
  const cases = [
    [{ ...job, schemaVersion: undefined }, 'schemaVersion'],
    [{ ...job, objects: [] }, 'objects'],
    [{ ...job, objects: [{ objectId: 1, initialBox: { x: 0, y: 0, width: 0, height: 4 } }] }, 'objects[0].initialBox'],
    [{ ...job, frameRange: { start: 9, end: 2 } }, 'frameRange'],
  ]
  for (const [payload, path] of cases) {
    assert.throws(
      () => fovea.checkTrackingJob(payload),
      (e) => e.code === 'invalid-type' && e.path === path,
      path,
    )
  }
})

test('checkTrackingJob refuses what exceeds the limits it is given', () => {
  const job = { schemaVersion: 1, videoId: 'v1', frameRange: { start: 0, end: 99 }, objects: [{ objectId: 1, initialBox: { x: 1, y: 2, width: 3, height: 4 } }] }
  assert.deepStrictEqual(fovea.checkTrackingJob(job).frameRange, { start: 0, end: 99 })
  assert.throws(
    () => fovea.checkTrackingJob(job, { frames: 50 }),
    (e) => e.code === 'limit-exceeded' && e.path === 'frameRange' && e.message.includes('100 exceeds the frames limit of 50'),
  )
  assert.throws(() => fovea.checkTrackingJob({ ...job, videoWidth: 100000, videoHeight: 100000 }), (e) => e.code === 'limit-exceeded')
  assert.throws(() => fovea.checkTrackingJob(job, { frame: 50 }), (e) => e.code === 'invalid-option' && e.path === 'limits.frame')
  assert.throws(() => fovea.checkTrackingJob(job, { frames: -1 }), (e) => e.code === 'invalid-type')
})

test('the shared queue scenario (testdata/jobs/queue.json) runs alike in every front end', async () => {
  const doc = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'testdata', 'jobs', 'queue.json'), 'utf8'))
  const q = await JobQueue.open()
  const run = (step) => {
    const options = step.options ?? {}
    switch (step.call) {
      case 'add':
        return q.add(step.data, options)
      case 'counts':
        return q.counts()
      case 'status':
        return q.status(step.id, options)
      case 'wait':
        return q.wait(step.id, options)
      case 'list':
        return q.list(options)
      default:
        throw new Error(`unknown call ${step.call}`)
    }
  }
  try {
    for (const [i, step] of doc.steps.entries()) {
      if (step.code) {
        await assert.rejects(run(step), (e) => e.code === step.code, `step ${i}`)
        continue
      }
      const got = await run(step)
      if (step.expectCount !== undefined) assert.equal(got.length, step.expectCount, `step ${i}`)
      else if (step.call === 'list') assert.deepStrictEqual(got.map((v) => v.jobId), step.expect, `step ${i}`)
      else assert.deepStrictEqual(got, step.expect, `step ${i}`)
    }
  } finally {
    await q.close()
  }
})
