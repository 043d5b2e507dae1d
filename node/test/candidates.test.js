'use strict'
// Reviewing tracking candidates from Node: fovea's tracking worker (with and without a store)
// against a simulated model service, an SQLite store, the store's candidates /
// acceptCandidate / rejectCandidate, and — on BullMQ — the reviews in the job's log as the
// `bullmq` package itself reads them.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { JobQueue, SimulatedModelService, Store } = require('..')
const { expectRejection, startRedis } = require('./helpers')

const job = {
  schemaVersion: 1,
  videoId: 'v1',
  model: 'samurai',
  frameRange: { start: 0, end: 59 },
  videoWidth: 640,
  videoHeight: 480,
  objects: [
    { objectId: 1, label: 'ship', initialBox: { x: 10, y: 20, width: 40, height: 20 } },
    { objectId: 2, label: 'buoy', initialBox: { x: 300, y: 50, width: 8, height: 8 } },
  ],
}

/** A store with the video `v1`, in a temporary folder removed after the test. */
async function storeWithVideo(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-candidates-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const url = `sqlite://${path.join(dir, 'c.db')}`
  const videos = path.join(dir, 'videos.jsonl')
  fs.writeFileSync(videos, JSON.stringify({ type: 'video', data: { id: 'v1', width: 640, height: 480 } }) + '\n')
  const store = await Store.connect(url)
  assert.equal((await store.import(videos)).result.success, true)
  return { store, url }
}

/** Runs the job `id` on `queue` with fovea's tracking worker (saving into `db` when given). */
async function track(queue, id, db) {
  const service = await SimulatedModelService.start({ videos: { v1: { width: 640, height: 480, frames: 60 } } })
  const worker = await queue.trackingWorker({ modelService: service.url, ...(db ? { db } : {}) })
  await queue.add(job, { id })
  const done = await queue.wait(id, { timeoutMs: 60000 })
  await worker.close()
  service.close()
  assert.equal(done.state, 'completed', JSON.stringify(done))
}

test('a worker with a store offers candidates; they are accepted and rejected', async (t) => {
  const { store, url } = await storeWithVideo(t)
  await track(await JobQueue.open(), 'j1', url)
  const listed = await store.candidates({ jobId: 'j1' })
  assert.deepEqual(listed.map((c) => [c.objectId, c.state, c.version]), [[1, 'pending', 1], [2, 'pending', 1]])
  assert.equal(listed[0].trackedFrames, 60)
  assert.deepEqual(await store.candidates({ videoId: 'v1', state: 'pending' }), listed)

  const accepted = await store.acceptCandidate('j1', 1, { entityId: 'ship-1', everyFrame: true, frames: { start: 10, end: 20 }, version: 1 })
  assert.deepEqual([accepted.state, accepted.annotationId, accepted.version], ['accepted', 'j1-obj1', 2])
  const saved = await store.annotation('j1-obj1')
  assert.deepEqual(saved.boundingBoxSequence.boxes.map((b) => b.frameNumber), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
  assert.equal(saved.metadata.model, 'samurai')

  // A reviewer who saw version 1 is too late.
  await expectRejection(store.rejectCandidate('j1', 1, { version: 1 }), 'conflict')
  const rejected = await store.rejectCandidate('j1', 2, { reason: 'a buoy' })
  assert.deepEqual([rejected.state, rejected.reason], ['rejected', 'a buoy'])
  assert.deepEqual(await store.candidates({ jobId: 'j1', state: 'pending' }), [])

  await expectRejection(store.acceptCandidate('j1', 1, { typeId: 't', personaId: 'p9' }), 'missing-dependency')
  await expectRejection(store.rejectCandidate('j1', 9), 'candidate-not-found')
  await expectRejection(store.acceptCandidate('j1', 1.5, { entityId: 'e' }), 'invalid-type', 'objectId')
  await expectRejection(store.acceptCandidate('j1', 1, { entityId: 'e', tolerence: 1 }), 'invalid-option', 'options.tolerence')
  await expectRejection(store.acceptCandidate('j1', 1, { entityId: 'e', tolerance: 1, everyFrame: true }), 'invalid-option', 'tolerance')
  await expectRejection(store.candidates({ state: 'maybe' }), 'invalid-option')
  await store.close()
})

test('a job whose worker had no store is registered from its result', async (t) => {
  const { store } = await storeWithVideo(t)
  const queue = await JobQueue.open()
  await track(queue, 'j2')
  assert.deepEqual(await store.candidates({ jobId: 'j2' }), [])
  assert.equal((await store.candidates({ jobId: 'j2' }, queue)).length, 2)
  await queue.remove('j2')
  const c = await store.acceptCandidate('j2', 2, { entityId: 'buoy', decimation: 'auto' })
  assert.equal(c.state, 'accepted')
  await expectRejection(store.candidates({ jobId: 'gone' }, queue), 'job-not-found')
  await store.close()
})

test('on BullMQ, reviews are in the job log that the bullmq package reads', async (t) => {
  const redis = await startRedis(t)
  if (redis === null) return
  const interop = process.env.FOVEA_INTEROP_DIR
  if (!interop) {
    if (process.env.FOVEA_REQUIRE_SERVICES === '1') assert.fail('FOVEA_INTEROP_DIR is not set')
    t.skip('no BullMQ peer (FOVEA_INTEROP_DIR)')
    return
  }
  const { store } = await storeWithVideo(t)
  const queue = await JobQueue.open(redis)
  await track(queue, 'b1')
  assert.equal((await store.candidates({ jobId: 'b1' }, queue)).length, 2)
  await store.acceptCandidate('b1', 1, { entityId: 'ship-1' }, queue)
  await store.rejectCandidate('b1', 2, { reason: 'a buoy' }, queue)
  await queue.close()
  await store.close()

  // FOVEA's own BullMQ (5.59) reads them.
  const { Queue } = require(path.join(interop, 'node_modules', 'bullmq5'))
  const { port } = new URL(redis)
  const peer = new Queue('object-tracking', { connection: { host: '127.0.0.1', port: Number(port) } })
  try {
    const { logs } = await peer.getJobLogs('b1')
    const reviews = logs.map((line) => JSON.parse(line))
    assert.deepEqual(reviews.map((r) => [r.objectId, r.state, r.version]), [[1, 'accepted', 2], [2, 'rejected', 2]])
    assert.equal(reviews[0].annotationId, 'b1-obj1')
    assert.equal(reviews[1].reason, 'a buoy')
  } finally {
    await peer.close()
  }
})
