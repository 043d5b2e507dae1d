'use strict'
// The example server over real HTTP (listening on a free loopback port, requests with fetch and
// FormData): one scenario — seed a persona and a video, post an annotation, preview and import
// a file that conflicts with it, export with and without interpolated frames, track objects
// through the queue and review the candidates they give — run on an SQLite file with the
// in-process queue and, when available, on Postgres (FOVEA_TEST_DATABASE_URL: a fresh database
// is created and dropped) with a BullMQ queue on a throwaway redis-server (FOVEA_REDIS_SERVER or
// redis-server on the PATH). Without those services that test is skipped, or fails when
// FOVEA_REQUIRE_SERVICES=1.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const net = require('node:net')
const readline = require('node:readline')
const { once } = require('node:events')
const { setTimeout: delay } = require('node:timers/promises')
const { spawn, execFileSync } = require('node:child_process')
const { randomBytes } = require('node:crypto')
const { SimulatedModelService } = require('fovea-core')
const { build } = require('../server.js')

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-server-test-'))
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))

const REQUIRE_SERVICES = process.env.FOVEA_REQUIRE_SERVICES === '1'

/** JSON Lines text of records. */
const jsonl = (records) => records.map((r) => JSON.stringify(r)).join('\n') + '\n'

/** The persona and the video the annotations and tracks refer to. */
const SEED = [
  { type: 'ontology', data: { personas: [{ id: 'p1', name: 'Analyst', role: 'analyst', informationNeed: 'ships' }], personaOntologies: [] } },
  { type: 'video', data: { id: 'v1', title: 'Harbour', width: 640, height: 480 } },
]

/** A type annotation on v1 with keyframes `[frame, x, y, w, h]` and one segment type. */
function annotation(id, keyframes, segment = 'linear') {
  const frames = keyframes.map(([f]) => f)
  return {
    id,
    videoId: 'v1',
    annotationType: 'type',
    personaId: 'p1',
    typeCategory: 'entity',
    typeId: 't-ship',
    boundingBoxSequence: {
      boxes: keyframes.map(([frameNumber, x, y, width, height]) => ({ x, y, width, height, frameNumber, isKeyframe: true })),
      interpolationSegments: [{ startFrame: frames[0], endFrame: frames.at(-1), type: segment }],
      visibilityRanges: [{ startFrame: frames[0], endFrame: frames.at(-1), visible: true }],
    },
  }
}

/** A multipart body: `file` (a JSON Lines upload) and the other fields, in the order given. */
function form(parts) {
  const body = new FormData()
  for (const [name, value] of parts) {
    if (name === 'file') body.append('file', new Blob([value], { type: 'application/x-ndjson' }), 'incoming.jsonl')
    else body.append(name, value)
  }
  return body
}

/** The records of an exported JSON Lines body (FOVEA's: no trailing newline). */
function records(text) {
  assert.ok(!text.endsWith('\n'), 'no trailing newline')
  return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l))
}

/** Starts the app on a free loopback port; returns it and a JSON `request` helper. */
async function start(options) {
  const app = build(options)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${app.server.address().port}`
  /** fetch with a JSON body (objects) or a FormData body; resolves to { status, headers, body, text }. */
  async function request(method, url, body) {
    const init = { method }
    if (body instanceof FormData) init.body = body
    else if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      init.headers = { 'content-type': 'application/json' }
    }
    const res = await fetch(base + url, init)
    const text = await res.text()
    const json = (res.headers.get('content-type') ?? '').startsWith('application/json') ? JSON.parse(text) : undefined
    return { status: res.status, headers: res.headers, body: json, text }
  }
  return { app, request }
}

/** Polls GET /api/jobs/:id until the job is completed or failed (60 s deadline). */
async function pollJob(request, jobId) {
  const deadline = Date.now() + 60_000
  for (;;) {
    const res = await request('GET', `/api/jobs/${jobId}`)
    assert.equal(res.status, 200, res.text)
    if (['completed', 'failed'].includes(res.body.status)) return res.body
    assert.ok(Date.now() < deadline, `job ${jobId} still ${res.body.status} after 60 s`)
    await delay(50)
  }
}

/** The scenario, on a server whose store is empty. */
async function scenario({ app, request }) {
  // Seed: a persona and a video, imported as FOVEA's JSON Lines.
  const seeded = await request('POST', '/api/import', form([['file', jsonl(SEED)]]))
  assert.equal(seeded.status, 200, seeded.text)
  assert.equal(seeded.body.success, true, seeded.text)
  assert.equal(seeded.body.summary.totalLines, 2)

  // An annotation: saved, answered with every frame's box (ease-in: x = 100 t²).
  const original = annotation('ann-1', [[0, 0, 0, 100, 100], [10, 100, 100, 200, 200]], 'ease-in')
  const posted = await request('POST', '/api/annotations', original)
  assert.equal(posted.status, 201, posted.text)
  assert.equal(posted.body.annotation.id, 'ann-1')
  assert.equal(posted.body.annotation.videoId, 'v1')
  assert.deepStrictEqual(posted.body.annotation.boundingBoxSequence.boxes.map((b) => b.frameNumber), [0, 10])
  const frames = posted.body.interpolated
  assert.equal(frames.length, 11)
  assert.deepStrictEqual(frames.map((b) => b.frameNumber), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  assert.deepStrictEqual(frames[5], { x: 25, y: 25, width: 125, height: 125, frameNumber: 5, isKeyframe: false })
  assert.ok(Math.abs(frames[7].x - 49) < 1e-9, `x at 7: ${frames[7].x}`)
  assert.equal(frames[0].isKeyframe, true)
  assert.equal(frames[10].isKeyframe, true)

  // Bad annotations: 400 with fovea's code, message and path.
  const fractional = structuredClone(original)
  fractional.boundingBoxSequence.boxes[1].frameNumber = 2.5
  const bad = await request('POST', '/api/annotations', fractional)
  assert.equal(bad.status, 400, bad.text)
  assert.equal(bad.body.code, 'frame-not-integer')
  assert.match(bad.body.path, /boxes\[1\]\.frameNumber$/)
  assert.match(bad.body.message, /2\.5/)
  const { videoId, ...noVideo } = original
  const missing = await request('POST', '/api/annotations', noVideo)
  assert.deepStrictEqual([missing.status, missing.body.code, missing.body.path], [400, 'missing-field', 'videoId'])
  // A video the store does not hold: 422, nothing saved.
  const elsewhere = await request('POST', '/api/annotations', { ...original, id: 'ann-x', videoId: 'nowhere' })
  assert.deepStrictEqual([elsewhere.status, elsewhere.body.code], [422, 'missing-dependency'], elsewhere.text)
  assert.match(elsewhere.body.message, /video "nowhere" does not exist/)
  assert.equal(elsewhere.body.path, 'videoId')
  const notJson = await request('POST', '/api/annotations', '{"id":')
  assert.equal(notJson.status, 400)
  assert.equal(typeof notJson.body.code, 'string')

  // Preview of a file that holds ann-1 again (other keyframes) and a new ann-2: one conflict.
  const changed = annotation('ann-1', [[0, 10, 10, 50, 50], [20, 210, 10, 50, 50]])
  const added = annotation('ann-2', [[0, 5, 5, 20, 20], [4, 9, 5, 20, 20]])
  const incoming = jsonl([{ type: 'annotation', data: changed }, { type: 'annotation', data: added }])
  const preview = await request('POST', '/api/import/preview', form([['file', incoming]]))
  assert.equal(preview.status, 200, preview.text)
  assert.deepStrictEqual(Object.keys(preview.body).sort(), ['conflicts', 'counts', 'warnings'])
  assert.deepStrictEqual(preview.body.counts, { annotations: 2, totalKeyframes: 4, singleKeyframeSequences: 0 })
  assert.equal(preview.body.conflicts.length, 1, preview.text)
  const [conflict] = preview.body.conflicts
  assert.deepStrictEqual([conflict.type, conflict.line, conflict.originalId], ['duplicate-sequence', 1, 'ann-1'])
  assert.deepStrictEqual(preview.body.warnings, [])
  // A line that cannot be read is reported among the warnings, with its line.
  const broken = await request('POST', '/api/import/preview', form([['file', `${JSON.stringify({ type: 'annotation', data: added })}\n{"type":\n`]]))
  assert.equal(broken.status, 200, broken.text)
  assert.equal(broken.body.counts.annotations, 1)
  assert.equal(broken.body.warnings.length, 1, broken.text)
  assert.match(broken.body.warnings[0], /^Line 2: .*\(invalid-json\)$/)
  const none = await request('POST', '/api/import/preview', new FormData())
  assert.deepStrictEqual([none.status, none.body.code], [400, 'missing-file'])

  // Import with the default options: ann-1 is skipped, ann-2 imported.
  const skipped = await request('POST', '/api/import', form([['file', incoming]]))
  assert.equal(skipped.status, 200, skipped.text)
  assert.equal(skipped.body.success, true, skipped.text)
  assert.equal(skipped.body.summary.importedItems.annotations, 1)
  assert.equal(skipped.body.summary.skippedItems.annotations, 1)
  assert.deepStrictEqual(skipped.body.conflicts.map((c) => [c.originalId, c.resolution]), [['ann-1', 'skip']])
  // With a resolution (the options field before the file: any order works): both replaced.
  const options = { conflictResolution: { sequences: { duplicateSequenceIds: 'replace' } } }
  const replaced = await request('POST', '/api/import', form([['options', JSON.stringify(options)], ['file', incoming]]))
  assert.equal(replaced.status, 200, replaced.text)
  assert.equal(replaced.body.success, true, replaced.text)
  assert.deepStrictEqual(replaced.body.summary.importedItems, { annotations: 2, totalKeyframes: 4, singleKeyframeSequences: 0 })
  assert.equal(replaced.body.summary.skippedItems.annotations, 0)
  assert.deepStrictEqual(
    replaced.body.conflicts.map((c) => [c.type, c.originalId, c.resolution]),
    [['duplicate-sequence', 'ann-1', 'replace'], ['duplicate-sequence', 'ann-2', 'replace']],
  )
  const badOptions = await request('POST', '/api/import', form([['file', incoming], ['options', '{"transaction":']]))
  assert.deepStrictEqual([badOptions.status, badOptions.body.code, badOptions.body.path], [400, 'invalid-json', 'options'])
  const unknownOption = await request('POST', '/api/import', form([['file', incoming], ['options', '{"nope":1}']]))
  assert.deepStrictEqual([unknownOption.status, unknownOption.body.code], [400, 'invalid-option'])

  // Export, keyframes only: FOVEA's headers, one annotation line each, ann-1 as imported.
  const keyframes = await request('GET', '/api/export')
  assert.equal(keyframes.status, 200, keyframes.text)
  assert.equal(keyframes.headers.get('content-type'), 'application/x-ndjson')
  assert.equal(keyframes.headers.get('content-disposition'), 'attachment; filename="annotations.jsonl"')
  assert.equal(keyframes.headers.get('x-export-annotations'), '2')
  assert.equal(keyframes.headers.get('x-export-keyframes'), '4')
  const kept = records(keyframes.text)
  assert.deepStrictEqual(kept.map((r) => r.type), ['annotation', 'annotation'])
  const byId = new Map(kept.map((r) => [r.data.id, r.data]))
  assert.deepStrictEqual([...byId.keys()].sort(), ['ann-1', 'ann-2'])
  assert.deepStrictEqual(byId.get('ann-1').boundingBoxSequence.boxes.map((b) => [b.frameNumber, b.x]), [[0, 10], [20, 210]])
  assert.ok(kept.every((r) => r.data.boundingBoxSequence.boxes.every((b) => b.isKeyframe === true)))

  // Export with every frame: 21 + 5 boxes, the generated ones isKeyframe: false.
  const full = await request('GET', '/api/export?includeInterpolated=true')
  assert.equal(full.status, 200, full.text)
  assert.equal(full.headers.get('x-export-interpolated-frames'), String(19 + 3))
  const dense = new Map(records(full.text).map((r) => [r.data.id, r.data.boundingBoxSequence.boxes]))
  const ann1 = dense.get('ann-1')
  assert.equal(ann1.length, 21)
  assert.equal(ann1.filter((b) => b.isKeyframe === false).length, 19)
  assert.deepStrictEqual(ann1[10], { x: 110, y: 10, width: 50, height: 50, frameNumber: 10, isKeyframe: false })
  assert.equal(dense.get('ann-2').length, 5)
  // Filters, and the JSON format (a pretty-printed array).
  const onlyAnn2Video = await request('GET', '/api/export?videoIds=elsewhere,')
  assert.deepStrictEqual([onlyAnn2Video.status, onlyAnn2Video.text], [200, ''])
  const objects = await request('GET', '/api/export?annotationTypes=object')
  assert.equal(objects.text, '')
  const asJson = await request('GET', '/api/export?format=json&personaIds=p1')
  assert.equal(asJson.headers.get('content-disposition'), 'attachment; filename="annotations.json"')
  assert.equal(asJson.text, JSON.stringify(JSON.parse(asJson.text), null, 2))
  assert.deepStrictEqual(asJson.body.map((r) => r.data.id).sort(), ['ann-1', 'ann-2'])
  const badQuery = await request('GET', '/api/export?includeInterpolated=maybe')
  assert.equal(badQuery.status, 400)
  assert.equal(badQuery.body.path, 'querystring.includeInterpolated')

  // A tracking job: 202, then polled until done; the track of the object with a type is saved
  // as an annotation, the other two (no type, no entity) wait for review.
  const job = {
    schemaVersion: 1,
    videoId: 'v1',
    model: 'samurai',
    frameRange: { start: 0, end: 59 },
    videoWidth: 640,
    videoHeight: 480,
    personaId: 'p1',
    objects: [
      { objectId: 1, label: 'ship', initialBox: { x: 100, y: 200, width: 40, height: 20 }, typeId: 't-ship' },
      { objectId: 2, label: 'tug', initialBox: { x: 300, y: 100, width: 30, height: 15 } },
      { objectId: 3, label: 'buoy', initialBox: { x: 400, y: 300, width: 8, height: 8 } },
    ],
  }
  const submitted = await request('POST', '/api/tracking?jobId=track-v1-ship', job)
  assert.equal(submitted.status, 202, submitted.text)
  assert.deepStrictEqual(submitted.body, { jobId: 'track-v1-ship', status: 'queued' })
  const status = await pollJob(request, 'track-v1-ship')
  assert.deepStrictEqual(Object.keys(status).sort(), ['error', 'jobId', 'progress', 'result', 'status'])
  assert.equal(status.status, 'completed', JSON.stringify(status))
  assert.equal(status.error, null)
  assert.equal(status.result.videoId, 'v1')
  assert.equal(status.result.trackCount, 3)
  const [tracked] = status.result.sequences
  assert.equal(tracked.objectId, 1)
  assert.equal(tracked.trackedFrames, 60)
  // The simulated object moves in a straight line: two keyframes reproduce every frame.
  assert.deepStrictEqual(tracked.sequence.boxes.map((b) => b.frameNumber), [0, 59])
  assert.equal(status.result.annotationIds.length, 1)
  const afterTracking = records((await request('GET', '/api/export?videoIds=v1')).text)
  assert.ok(afterTracking.some((r) => r.data.id === status.result.annotationIds[0]), 'the track is in the store')
  assert.equal(afterTracking.length, 3)
  await review(request, status.result.annotationIds[0])
  // The frontend's shape on request; an unknown job is a 404.
  const frontend = await request('GET', '/api/jobs/track-v1-ship?shape=frontend')
  assert.deepStrictEqual([frontend.body.id, frontend.body.state], ['track-v1-ship', 'completed'])
  const unknown = await request('GET', '/api/jobs/no-such-job')
  assert.deepStrictEqual([unknown.status, unknown.body.code], [404, 'job-not-found'])
  // A payload the tracking worker could not read is refused before it is queued.
  const invalid = await request('POST', '/api/tracking', { videoId: 'v1' })
  assert.deepStrictEqual([invalid.status, invalid.body.code, invalid.body.path], [400, 'invalid-type', 'schemaVersion'])
  const badBox = { ...job, objects: [{ ...job.objects[0], initialBox: { x: 0, y: 0, width: -1, height: 5 } }] }
  const refused = await request('POST', '/api/tracking', badBox)
  assert.deepStrictEqual([refused.status, refused.body.path], [400, 'objects[0].initialBox'], refused.text)
  const notAJob = await request('POST', '/api/tracking', [1, 2])
  assert.deepStrictEqual([notAJob.status, notAJob.body.code], [400, 'invalid-type'])

  // Closing the app closes the worker, the queue and the store.
  const { worker, store } = app.fovea
  await app.close()
  assert.equal(worker.running, false)
  await assert.rejects(store.annotation('ann-1'), (e) => e.code === 'database')
}

/**
 * Reviews the candidates of the job `track-v1-ship` (a ship accepted by the worker as
 * `shipAnnotation`, a tug and a buoy pending) through the candidate routes.
 */
async function review(request, shipAnnotation) {
  const candidates = '/api/tracking/track-v1-ship/candidates'
  const listed = await request('GET', candidates)
  assert.equal(listed.status, 200, listed.text)
  assert.deepStrictEqual(
    listed.body.map((c) => [c.objectId, c.label, c.state, c.annotationId, c.version]),
    [[1, 'ship', 'accepted', shipAnnotation, 1], [2, 'tug', 'pending', null, 1], [3, 'buoy', 'pending', null, 1]],
  )
  assert.deepStrictEqual([listed.body[1].trackedFrames, listed.body[1].videoId], [60, 'v1'])
  const pending = await request('GET', `${candidates}?state=pending`)
  assert.deepStrictEqual([pending.status, pending.body.map((c) => c.objectId)], [200, [2, 3]], pending.text)

  // The tug, accepted as an object annotation of world object tug-7, every tracked frame a keyframe.
  const accepted = await request('POST', `${candidates}/2/accept`, { entityId: 'tug-7', everyFrame: true, version: 1, reviewer: 'analyst' })
  assert.equal(accepted.status, 200, accepted.text)
  assert.deepStrictEqual(
    [accepted.body.state, accepted.body.annotationId, accepted.body.version, accepted.body.reviewedBy],
    ['accepted', 'track-v1-ship-obj2', 2, 'analyst'],
  )
  const objects = records((await request('GET', '/api/export?annotationTypes=object')).text)
  assert.deepStrictEqual(objects.map((r) => [r.data.id, r.data.linkedEntityId]), [['track-v1-ship-obj2', 'tug-7']])
  const boxes = objects[0].data.boundingBoxSequence.boxes
  assert.equal(boxes.length, 60)
  assert.ok(boxes.every((b) => b.isKeyframe === true))
  // The simulated tug moves 2 px a frame to the right.
  const { frameNumber, x, y, width, height } = boxes[10]
  assert.deepStrictEqual([frameNumber, x, y, width, height], [10, 320, 100, 30, 15])

  // The buoy, rejected with a reason; a reviewer who saw the tug's first version is too late.
  const rejected = await request('POST', `${candidates}/3/reject`, { reason: 'a buoy, not a vessel' })
  assert.equal(rejected.status, 200, rejected.text)
  assert.deepStrictEqual([rejected.body.state, rejected.body.reason, rejected.body.version], ['rejected', 'a buoy, not a vessel', 2])
  const stale = await request('POST', `${candidates}/2/reject`, { reason: 'late', version: 1 })
  assert.deepStrictEqual([stale.status, stale.body.code], [409, 'conflict'], stale.text)
  // Rejecting without a body: the ship's annotation is deleted.
  const ship = await request('POST', `${candidates}/1/reject`)
  assert.deepStrictEqual([ship.status, ship.body.state, ship.body.annotationId, ship.body.version], [200, 'rejected', null, 2], ship.text)
  const ids = records((await request('GET', '/api/export?videoIds=v1')).text).map((r) => r.data.id)
  assert.deepStrictEqual(ids.sort(), ['ann-1', 'ann-2', 'track-v1-ship-obj2'])
  const reviewed = await request('GET', candidates)
  assert.deepStrictEqual(reviewed.body.map((c) => [c.objectId, c.state]), [[1, 'rejected'], [2, 'accepted'], [3, 'rejected']])

  // Errors: fovea's codes with their statuses, option paths relative to the body.
  const unknownObject = await request('POST', `${candidates}/9/reject`, {})
  assert.deepStrictEqual([unknownObject.status, unknownObject.body.code], [404, 'candidate-not-found'], unknownObject.text)
  const misspelt = await request('POST', `${candidates}/2/accept`, { entityId: 'tug-7', tolerence: 1 })
  assert.deepStrictEqual([misspelt.status, misspelt.body.code, misspelt.body.path], [400, 'invalid-option', 'tolerence'], misspelt.text)
  assert.match(misspelt.body.message, /^tolerence: /)
  for (const objectId of ['tug', '2.5']) {
    const notNumeric = await request('POST', `${candidates}/${objectId}/accept`, { entityId: 'tug-7' })
    assert.deepStrictEqual([notNumeric.status, notNumeric.body.code, notNumeric.body.path], [400, 'invalid-type', 'objectId'], notNumeric.text)
  }
  const noPersona = await request('POST', `${candidates}/2/accept`, { typeId: 't-tug', personaId: 'p9' })
  assert.deepStrictEqual([noPersona.status, noPersona.body.code], [422, 'missing-dependency'], noPersona.text)
  const noOptions = await request('POST', `${candidates}/2/accept`)
  assert.deepStrictEqual([noOptions.status, noOptions.body.code, noOptions.body.path], [400, 'invalid-type', ''], noOptions.text)
  const badState = await request('GET', `${candidates}?state=maybe`)
  assert.deepStrictEqual([badState.status, badState.body.path], [400, 'querystring.state'], badState.text)
  const unknownJob = await request('GET', '/api/tracking/no-such-job/candidates')
  assert.deepStrictEqual([unknownJob.status, unknownJob.body.code], [404, 'job-not-found'], unknownJob.text)
}

/** A simulated model service that knows v1 (640×480, 60 frames); closed after the test. */
async function modelService(t) {
  const service = await SimulatedModelService.start({ videos: { v1: { width: 640, height: 480, frames: 60 } }, velocity: [2, 0] })
  t.after(() => service.close())
  return service.url
}

test('SQLite file and the in-process queue', async (t) => {
  const db = `sqlite://${path.join(tmp, 'server.db')}`
  const server = await start({ db, redis: null, modelService: await modelService(t) })
  t.after(() => server.app.close())
  assert.equal(server.app.fovea.store.backend, 'sqlite')
  assert.equal(server.app.fovea.queue.backend, 'in-process')
  await scenario(server)
})

/** A throwaway redis-server on a free port; null when there is none (the test is skipped). */
async function startRedis(t) {
  let binary = process.env.FOVEA_REDIS_SERVER
  if (!binary) {
    try {
      binary = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim()
    } catch {
      binary = ''
    }
  }
  if (!binary || !fs.existsSync(binary)) return null
  const probe = net.createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const port = probe.address().port
  probe.close()
  const dir = fs.mkdtempSync(path.join(tmp, 'redis-'))
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const log = []
  for await (const line of readline.createInterface({ input: child.stdout })) {
    log.push(line)
    if (line.includes('Ready to accept connections')) break
  }
  assert.ok(log.at(-1)?.includes('Ready to accept connections'), `redis-server did not start:\n${log.join('\n')}`)
  child.stdout.resume()
  t.after(async () => {
    child.kill()
    await once(child, 'exit')
  })
  return `redis://127.0.0.1:${port}`
}

/** Runs `sql` on the Postgres server with psql. */
function psql(server, sql) {
  execFileSync('psql', [server, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: ['ignore', 'pipe', 'pipe'] })
}

test('Postgres and a BullMQ queue on Redis', async (t) => {
  const server = process.env.FOVEA_TEST_DATABASE_URL
  const redis = server ? await startRedis(t) : null
  if (!server || !redis) {
    const missing = !server ? 'FOVEA_TEST_DATABASE_URL is not set (a Postgres server URL)' : 'no redis-server binary'
    if (REQUIRE_SERVICES) assert.fail(`${missing}, and FOVEA_REQUIRE_SERVICES=1 requires the services`)
    t.skip(missing)
    return
  }
  const name = `fovea_server_${randomBytes(6).toString('hex')}`
  psql(server, `CREATE DATABASE ${name}`)
  let running
  try {
    const url = new URL(server)
    url.pathname = `/${name}`
    running = await start({ db: url.href, redis, modelService: await modelService(t) })
    assert.equal(running.app.fovea.store.backend, 'postgres')
    assert.equal(running.app.fovea.queue.backend, 'bullmq')
    await scenario(running)
  } finally {
    // The app first (closing it again is harmless), then its database.
    await running?.app.close()
    psql(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
})

test('configuration from the environment: DATABASE_URL and REDIS_URL', () => {
  const { configure } = require('../server.js')
  const env = { DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'redis://h:6379', MODEL_SERVICE_URL: 'http://m:8000' }
  assert.deepStrictEqual(
    [configure({}, env).db, configure({}, env).redis, configure({}, env).modelService],
    ['postgres://u@h/db', 'redis://h:6379', 'http://m:8000'],
  )
  const defaults = configure({}, {})
  assert.deepStrictEqual([defaults.db, defaults.redis, defaults.modelService], ['sqlite://fovea-server.db', null, 'http://localhost:8000'])
  assert.equal(configure({}, { FOVEA_DB_URL: 'sqlite://x.db' }).db, 'sqlite://x.db')
  // Explicit options win over the environment (null: the in-process queue).
  assert.equal(configure({ redis: null, db: 'sqlite://y.db' }, env).redis, null)
  assert.equal(configure({ redis: null, db: 'sqlite://y.db' }, env).db, 'sqlite://y.db')
})
