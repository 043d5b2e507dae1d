'use strict'
// The database Store (fovea-db through the addon): one scenario — migrate, import, export,
// preview, reads, saves and deletes, a failing atomic import, the import history, close — run
// against an SQLite file in a temp dir and, when FOVEA_TEST_DATABASE_URL names a Postgres server
// (e.g. postgres://postgres@127.0.0.1:5432/test), against a fresh database created on it with
// psql and dropped at the end. Without the variable the Postgres test is skipped, or fails when
// FOVEA_REQUIRE_SERVICES=1. Then rejections: codes, paths, AbortSignal.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { randomBytes } = require('node:crypto')
const { Store } = require('..')
const { expectRejection } = require('./helpers')

const STORED = path.join(__dirname, '..', '..', 'testdata', 'export', 'fovea-stored-annotations.jsonl')
const STORED_IDS = ['7f8d9c2b-4a1e-4d6f-9c8b-2e5a1f3d7c4b', 'obj-1', 'test-annotation-1']
const CREATE_PLACEHOLDERS = { conflictResolution: { missingDependencies: 'create-placeholder' } }
const EXPORT_DATE = '2025-01-01T00:00:00.000Z'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-node-store-'))
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))


/** The records of a JSON Lines file. */
function lines(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
}

/** A new directory in the temp dir. */
function dir(name) {
  const d = path.join(tmp, name)
  fs.mkdirSync(d)
  return d
}

/** A type annotation whose persona does not exist (the database refuses its row). */
function orphan(id) {
  return {
    type: 'annotation',
    data: {
      id,
      videoId: 'vid-1',
      annotationType: 'type',
      personaId: 'nobody',
      typeCategory: 'entity',
      typeId: 'ship',
      boundingBoxSequence: {
        boxes: [{ x: 1, y: 2, width: 3, height: 4, frameNumber: 0, isKeyframe: true }],
        interpolationSegments: [],
        visibilityRanges: [{ startFrame: 0, endFrame: 0, visible: true }],
      },
    },
  }
}

/** The scenario every backend runs, on a store with nothing in it. */
async function scenario(store, work) {
  const report = await store.migrate()
  assert.ok(Array.isArray(report.created) && Array.isArray(report.existing), JSON.stringify(report))
  assert.ok([...report.created, ...report.existing].includes('annotations'), JSON.stringify(report))
  assert.equal(typeof report.foveaMigrations, 'boolean')
  // Migrating again creates nothing.
  assert.deepStrictEqual((await store.migrate()).created, [])
  assert.deepStrictEqual(await store.annotations(), { annotations: [], unreadable: [] })

  // Import: the three stored annotations, their missing personas and videos as placeholders.
  const imported = await store.import(STORED, { options: CREATE_PLACEHOLDERS })
  assert.equal(imported.result.success, true, JSON.stringify(imported.result.errors))
  assert.equal(imported.result.committed, true)
  assert.equal(imported.result.summary.importedItems.annotations, 3)
  assert.equal(imported.preview.counts.annotations, 3)
  assert.equal(typeof imported.historyId, 'string')
  assert.ok(imported.historyId.length > 0)

  // Export: a JSON Lines file with the three annotations, written through a temporary file.
  const out = path.join(work, 'export.jsonl')
  const stats = await store.export(out, { exportDate: EXPORT_DATE })
  const records = lines(out)
  const annotationLines = records.filter((r) => r.type === 'annotation')
  assert.equal(annotationLines.length, 3)
  assert.deepStrictEqual(annotationLines.map((r) => r.data.id).sort(), STORED_IDS)
  assert.equal(stats.annotationCount, 3)
  assert.equal(stats.lines.annotation, 3)
  assert.equal(stats.bytes, fs.statSync(out).size)
  assert.deepStrictEqual(stats.unreadable, [])
  assert.deepStrictEqual(stats.invalidObjects, [])
  assert.deepStrictEqual(records.at(-1), { type: 'metadata', data: records.at(-1).data })
  assert.equal(records.at(-1).data.exportDate, EXPORT_DATE)
  assert.deepStrictEqual(fs.readdirSync(work), ['export.jsonl'], 'no temporary file is left')
  // Filters and options as exportJsonl's.
  const objects = await store.export(out, { annotationTypes: ['object'], metadata: false })
  assert.equal(objects.annotationCount, 1)
  assert.deepStrictEqual(
    lines(out).filter((r) => r.type === 'annotation').map((r) => r.data.id),
    ['obj-1'],
  )
  assert.ok(!lines(out).some((r) => r.type === 'metadata'))

  // Preview of the same file: every annotation is now a duplicate sequence; nothing written.
  const preview = await store.preview(STORED)
  assert.deepStrictEqual(
    preview.conflicts.map((c) => c.type),
    ['duplicate-sequence', 'duplicate-sequence', 'duplicate-sequence'],
  )
  assert.deepStrictEqual(preview.conflicts.map((c) => c.originalId).sort(), STORED_IDS)
  assert.equal(preview.counts.annotations, 3)
  // In-file tables spilled at every record: the same preview.
  assert.deepStrictEqual(await store.preview(STORED, { memoryBudget: 0, spillDir: tmp }), preview)

  // Reads.
  const obj = await store.annotation('obj-1')
  assert.equal(obj.id, 'obj-1')
  assert.equal(obj.videoId, 'vid-1')
  assert.equal(obj.annotationType, 'object')
  assert.equal(obj.linkedEventId, 'evt-1')
  assert.deepStrictEqual(obj.metadata, { src: 'x' })
  assert.deepStrictEqual(
    obj.boundingBoxSequence.boxes.map((b) => b.frameNumber),
    [0, 5, 10],
  )
  assert.equal(obj.boundingBoxSequence.trackingSource, 'samurai')
  assert.equal(await store.annotation('no-such-annotation'), null)
  const all = await store.annotations()
  assert.deepStrictEqual(all.annotations.map((a) => a.id).sort(), STORED_IDS)
  assert.deepStrictEqual(all.unreadable, [])
  const onVideo = await store.annotations('vid-1')
  assert.deepStrictEqual(onVideo.annotations.map((a) => a.id), ['obj-1'])
  assert.deepStrictEqual((await store.annotations(null)).annotations.length, 3)
  assert.deepStrictEqual((await store.annotations('no-such-video')).annotations, [])

  // Saves and deletes.
  assert.equal(await store.saveAnnotations([{ ...obj, id: 'obj-2', notes: 'copied' }]), 1)
  const copy = await store.annotation('obj-2')
  assert.equal(copy.notes, 'copied')
  assert.deepStrictEqual(copy.boundingBoxSequence, obj.boundingBoxSequence)
  assert.equal(await store.saveAnnotations([{ ...copy, notes: 'replaced' }]), 1)
  assert.equal((await store.annotation('obj-2')).notes, 'replaced')
  assert.equal(await store.saveAnnotations([]), 0)
  assert.equal(await store.deleteAnnotations(['obj-2', 'no-such-annotation']), 1)
  assert.equal(await store.annotation('obj-2'), null)
  assert.equal(await store.deleteAnnotations([]), 0)
  // A persona the store lacks: missing-dependency, naming the field; nothing is written.
  const missing = await expectRejection(store.saveAnnotations([orphan('orphan-0').data]), 'missing-dependency', 'annotations[0].personaId')
  assert.match(missing.message, /persona "nobody" does not exist/)
  assert.equal(await store.annotation('orphan-0'), null)

  // A failing atomic import resolves, uncommitted, and changes nothing.
  const failing = path.join(work, 'failing.jsonl')
  fs.writeFileSync(failing, JSON.stringify(orphan('orphan-1')) + '\n')
  const failed = await store.import(failing, {
    options: { validation: { validateReferences: false } },
    user: 'importer',
  })
  assert.equal(failed.result.committed, false)
  assert.equal(failed.result.success, false)
  assert.ok(failed.result.errors.length > 0)
  assert.equal(await store.annotation('orphan-1'), null)
  assert.equal((await store.annotations()).annotations.length, 3)

  // The history has both imports. (Oldest first, but SQLite's `createdAt` has whole seconds,
  // so two imports in the same second come in id order: compare by id.)
  const history = await store.importHistory()
  const byId = new Map(history.map((h) => [h.id, h]))
  assert.equal(history.length, 2)
  const first = byId.get(imported.historyId)
  const second = byId.get(failed.historyId)
  assert.deepStrictEqual(
    [first.filename, first.success, first.itemsImported, first.importedBy],
    ['fovea-stored-annotations.jsonl', true, 3, 'default-user'],
  )
  assert.deepStrictEqual(
    [second.filename, second.success, second.itemsImported, second.importedBy],
    ['failing.jsonl', false, 0, 'importer'],
  )
  assert.ok(!Number.isNaN(Date.parse(first.createdAt)), first.createdAt)
  assert.ok(Date.parse(first.createdAt) <= Date.parse(second.createdAt))
  assert.equal(first.importOptions.conflictResolution.missingDependencies, 'create-placeholder')
  assert.equal(second.result.committed, false)

  await store.close()
  await expectRejection(store.annotation('obj-1'), 'database')
}

test('SQLite: the whole scenario on a file', async () => {
  const work = dir('sqlite')
  const file = path.join(work, 'store.db')
  const store = await Store.connect(`sqlite://${file}`)
  assert.ok(store instanceof Store)
  assert.equal(store.backend, 'sqlite')
  assert.ok(fs.existsSync(file), 'the file is created')
  fs.mkdirSync(path.join(work, 'out'))
  await scenario(store, path.join(work, 'out'))
  // What was committed is in the file: a new store reads it.
  const again = await Store.connect(`sqlite://${file}`, { user: 'someone', layout: 'ui', maxConnections: 2 })
  assert.deepStrictEqual((await again.annotations()).annotations.map((a) => a.id).sort(), STORED_IDS)
  assert.equal((await again.importHistory()).length, 2)
  await again.close()
})

/** Runs `sql` on the server with psql. */
function psql(server, sql) {
  execFileSync('psql', [server, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

test('Postgres: the whole scenario on a fresh database', async (t) => {
  const server = process.env.FOVEA_TEST_DATABASE_URL
  if (!server) {
    if (process.env.FOVEA_REQUIRE_SERVICES === '1') {
      assert.fail('FOVEA_TEST_DATABASE_URL is not set, and FOVEA_REQUIRE_SERVICES=1 requires Postgres')
    }
    t.skip('FOVEA_TEST_DATABASE_URL is not set (a Postgres server URL); skipping the Postgres test')
    return
  }
  const name = `fovea_node_${randomBytes(6).toString('hex')}`
  psql(server, `CREATE DATABASE ${name}`)
  try {
    const url = new URL(server)
    url.pathname = `/${name}`
    const store = await Store.connect(url.href)
    assert.equal(store.backend, 'postgres')
    // A fresh database has none of FOVEA's tables: migrate creates them all.
    const report = await store.migrate()
    assert.ok(report.created.includes('annotations'), JSON.stringify(report))
    await scenario(store, dir('postgres'))
  } finally {
    psql(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
})

test('Store.connect: the default URL is sqlite://fovea.db in the working directory', async () => {
  const work = dir('default')
  const cwd = process.cwd()
  process.chdir(work)
  try {
    const store = await Store.connect()
    assert.equal(store.backend, 'sqlite')
    assert.ok(fs.existsSync(path.join(work, 'fovea.db')))
    assert.deepStrictEqual((await store.migrate()).created, [], 'SQLite stores are migrated on connect')
    await store.close()
    const named = await Store.connect(null, { user: 'u' })
    assert.equal(named.backend, 'sqlite')
    await named.close()
  } finally {
    process.chdir(cwd)
  }
})

test('rejections: URLs, arguments, options', async () => {
  await expectRejection(Store.connect('mysql://x'), 'unsupported-url', null)
  await expectRejection(Store.connect('fovea.db'), 'unsupported-url', null)
  await expectRejection(Store.connect(5), 'invalid-type', 'url')
  await expectRejection(Store.connect('sqlite::memory:', { layout: 'wide' }), 'invalid-option', null)
  await expectRejection(Store.connect('sqlite::memory:', { user: '' }), 'invalid-option', null)
  await expectRejection(Store.connect('sqlite::memory:', { user: 7 }), 'invalid-type', 'options.user')
  await expectRejection(Store.connect('sqlite::memory:', { maxConnections: 0 }), 'invalid-type', 'options.maxConnections')
  await expectRejection(Store.connect('sqlite::memory:', 'options'), 'invalid-type', 'options')

  const store = await Store.connect('sqlite::memory:')
  try {
    await expectRejection(store.annotation(1), 'invalid-type', 'id')
    await expectRejection(store.annotations(3), 'invalid-type', 'videoId')
    await expectRejection(store.saveAnnotations('a'), 'invalid-type', 'annotations')
    await expectRejection(store.saveAnnotations(), 'invalid-type', 'annotations')
    await expectRejection(store.saveAnnotations([{ id: 'a', videoId: 'v' }]), 'missing-field', 'annotations[0]')
    const bad = orphan('bad').data
    bad.boundingBoxSequence.boxes[0].frameNumber = -1
    await expectRejection(
      store.saveAnnotations([orphan('good').data, bad]),
      'frame-negative',
      'annotations[1].boundingBoxSequence.boxes[0].frameNumber',
    )
    bad.boundingBoxSequence.boxes[0].x = NaN
    await expectRejection(store.saveAnnotations([bad]), 'non-finite-number', 'annotations[0].boundingBoxSequence.boxes[0].x')
    await expectRejection(store.deleteAnnotations('a'), 'invalid-type', 'ids')
    await expectRejection(store.deleteAnnotations(['a', 2]), 'invalid-type', 'ids[1]')
    await expectRejection(store.export(7), 'invalid-type', 'destination')
    await expectRejection(store.export(path.join(tmp, 'x.jsonl'), { mode: 'all' }), 'invalid-option', null)
    await expectRejection(store.export(path.join(tmp, 'x.jsonl'), { annotationTypes: ['track'] }), 'invalid-option', null)
    await expectRejection(store.export(path.join(tmp, 'no', 'dir', 'x.jsonl')), 'io', null)
    await expectRejection(store.preview(path.join(tmp, 'missing.jsonl')), 'io', null)
    await expectRejection(store.preview(STORED, { profile: 'strict' }), 'invalid-option', null)
    await expectRejection(store.import(STORED, { options: { nope: 1 } }), 'invalid-option', 'options.nope')
    await expectRejection(store.import(STORED, { options: '{"transaction":' }), 'invalid-json', null)
    await expectRejection(store.import(STORED, { user: 1 }), 'invalid-type', 'options.user')
    await expectRejection(store.import(STORED, { users: 'x' }), 'invalid-option', 'options.users')
    await expectRejection(store.export(path.join(tmp, 'x.jsonl'), { modes: 'all' }), 'invalid-option', 'options.modes')
    // Nothing was imported by the refused calls.
    assert.deepStrictEqual(await store.importHistory(), [])
  } finally {
    await store.close()
  }
})

test('AbortSignal: reads stop; writes honour it only before they start', async () => {
  const store = await Store.connect(`sqlite://${path.join(dir('abort'), 'store.db')}`)
  try {
    const aborted = AbortSignal.abort(new Error('stop'))
    for (const call of [
      () => store.migrate({ signal: aborted }),
      () => store.annotations(null, { signal: aborted }),
      () => store.annotation('a', { signal: aborted }),
      () => store.import(STORED, { options: CREATE_PLACEHOLDERS, signal: aborted }),
      () => store.saveAnnotations([], { signal: aborted }),
      () => store.deleteAnnotations([], { signal: aborted }),
      () => store.export(path.join(tmp, 'aborted.jsonl'), { signal: aborted }),
      () => store.preview(STORED, { signal: aborted }),
      () => store.importHistory({ signal: aborted }),
      () => Store.connect('sqlite::memory:', { signal: aborted }),
    ]) {
      await assert.rejects(call(), (e) => e.name === 'AbortError' && e.code === 'ABORT_ERR' && e.cause === aborted.reason)
    }
    assert.ok(!fs.existsSync(path.join(tmp, 'aborted.jsonl')))
    assert.deepStrictEqual(await store.importHistory(), [], 'the aborted import never started')
    await expectRejection(store.annotations(null, { signal: 'no' }), 'invalid-type', 'options.signal')
    // A signal that is not aborted changes nothing.
    const controller = new AbortController()
    const done = await store.import(STORED, { options: CREATE_PLACEHOLDERS, signal: controller.signal })
    assert.equal(done.result.committed, true)
    controller.abort()
    assert.equal((await store.importHistory()).length, 1)
  } finally {
    await store.close()
  }
})

test('an unreachable Postgres server rejects with code database', async () => {
  // Nothing listens on port 1: the first connection fails at once.
  const e = await expectRejection(Store.connect('postgres://127.0.0.1:1/x'), 'database', null)
  assert.ok(e.message.startsWith('database: '), e.message)
})

test('the shared import scenarios (testdata/import/scenarios.json) resolve in a store as in a dataset', async () => {
  const doc = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'testdata', 'import', 'scenarios.json'), 'utf8'))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-node-scenarios-'))
  const write = (name, lines) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l) + '\n').join(''))
    return file
  }
  try {
    const existing = write('existing.jsonl', doc.existing)
    for (const [i, c] of doc.scenarios.entries()) {
      const store = await Store.connect(`sqlite://${path.join(dir, `s${i}.db`)}`)
      try {
        assert.ok((await store.import(existing)).result.committed, c.name)
        const { result } = await store.import(write('incoming.jsonl', c.lines), { options: c.options })
        const e = c.expect
        assert.deepStrictEqual([result.success, result.committed], [e.success, e.committed], c.name)
        const { importedItems, skippedItems } = result.summary
        assert.equal(importedItems.annotations, e.imported, c.name)
        assert.equal(skippedItems.annotations, e.skippedAnnotations ?? 0, c.name)
        assert.equal(skippedItems.worldObjects, e.skippedWorld ?? 0, c.name)
        assert.equal(importedItems.placeholders, e.placeholders ?? 0, c.name)
        assert.deepStrictEqual(result.conflicts.map((k) => [k.type, k.line, k.resolution]), e.conflicts, c.name)
        const { annotations } = await store.annotations()
        if (e.after) assert.deepStrictEqual(annotations.map((a) => a.id).sort(), [...e.after].sort(), c.name)
        if (e.afterCount !== undefined) assert.equal(annotations.length, e.afterCount, c.name)
      } finally {
        await store.close()
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
