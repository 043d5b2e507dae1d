'use strict'
// An example HTTP server over the fovea-core package: FOVEA's annotation, export, import,
// tracking-job and tracking-candidate review routes, with fovea as the engine. By default it
// keeps annotations in an embedded SQLite file and runs tracking jobs on the in-process queue;
// with DATABASE_URL (postgres://…) and REDIS_URL it uses Postgres and a BullMQ queue on Redis
// instead. In every case fovea's own tracking worker consumes the queue, calling the model
// service at MODEL_SERVICE_URL.
//
//   const app = build({ db: 'sqlite://annotations.db', modelService: 'http://localhost:8000' })
//   await app.listen({ port: 3000 })
//
// Run directly (`node server.js`) it listens on PORT (default 3000).

const fs = require('node:fs')
const fsp = require('node:fs/promises')
const { STATUS_CODES } = require('node:http')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')
const { Readable } = require('node:stream')
const { pipeline } = require('node:stream/promises')
const Fastify = require('fastify')
const multipart = require('@fastify/multipart')
const { Store, JobQueue, interpolate, checkTrackingJob, ERROR_CODES, JOB_ERROR_CODES } = require('fovea-core')

/** FOVEA's upload limit per file (100 MiB). */
const MAX_UPLOAD_BYTES = 100 * 1024 * 1024

/** Status shapes of `GET /api/jobs/:id` (`summary` is FOVEA's `{jobId, status, progress, result, error}`). */
const JOB_SHAPES = ['summary', 'mapped', 'frontend', 'canonical']

/** The review states of a tracking candidate (`GET /api/tracking/:jobId/candidates?state=`). */
const CANDIDATE_STATES = ['pending', 'accepted', 'rejected']

/** Every code a fovea error can carry. */
const FOVEA_CODES = new Set([...ERROR_CODES, ...JOB_ERROR_CODES])

/** The HTTP status of fovea error codes that are not the client's input errors (those: 400). */
const STATUS_BY_CODE = new Map([
  ['io', 500],
  ['database', 500],
  ['schema', 500],
  ['unreadable-row', 500],
  ['queue-backend', 503],
  ['queue-closed', 503],
  ['timeout', 504],
  ['job-not-found', 404],
  ['candidate-not-found', 404],
  ['conflict', 409],
  ['invalid-state', 409],
  ['payload-too-large', 413],
  ['missing-dependency', 422],
])

/**
 * The configuration: explicit options first, then the environment.
 * - `db`: the store URL (`postgres://…` or `sqlite://FILE`); env DATABASE_URL, then
 *   FOVEA_DB_URL; default `sqlite://fovea-server.db`.
 * - `redis`: a BullMQ queue on this Redis (`redis://…`); env REDIS_URL; `null`: in process.
 * - `modelService`: FOVEA's model service; env MODEL_SERVICE_URL; default http://localhost:8000.
 * - `worker` (default true): run fovea's tracking worker in this process; `saveTracks`
 *   (default true): the worker saves each track as an annotation in the store (it opens `db`
 *   itself, so an in-memory SQLite store, `sqlite::memory:`, needs `saveTracks: false`).
 * - `concurrency`, `tolerance`: of the tracking worker; `user`: the store's user;
 *   `closeGraceMs`: how long running jobs get to finish when the app closes; `logger`.
 */
function configure(options, env) {
  const pick = (key, variable, fallback) =>
    options[key] !== undefined ? options[key] : (env[variable] ?? fallback)
  return {
    db: pick('db', 'DATABASE_URL', env.FOVEA_DB_URL ?? 'sqlite://fovea-server.db'),
    redis: pick('redis', 'REDIS_URL', null),
    modelService: pick('modelService', 'MODEL_SERVICE_URL', 'http://localhost:8000'),
    worker: options.worker ?? true,
    saveTracks: options.saveTracks ?? true,
    concurrency: options.concurrency ?? 1,
    tolerance: options.tolerance,
    user: options.user,
    closeGraceMs: options.closeGraceMs ?? 5000,
  }
}

/** An error for the client: fovea's fields (`code`, `message`, `path`) and an HTTP status. */
function clientError(code, message, fieldPath, statusCode = 400) {
  const e = new Error(message)
  e.code = code
  if (fieldPath !== undefined) e.path = fieldPath
  e.statusCode = statusCode
  return e
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

/** The fields of an annotation that fovea's sequence checks do not cover. */
function checkAnnotation(body) {
  if (!isObject(body)) throw clientError('invalid-type', 'body: expected an annotation object', '')
  for (const field of ['id', 'videoId']) {
    const value = body[field]
    if (value === undefined || value === null) {
      throw clientError('missing-field', `${field}: the annotation has no ${field}`, field)
    }
    if (typeof value !== 'string' || value === '') {
      throw clientError('invalid-type', `${field}: expected a non-empty string, got ${JSON.stringify(value)}`, field)
    }
  }
  if (!isObject(body.boundingBoxSequence)) {
    const code = body.boundingBoxSequence === undefined ? 'missing-field' : 'invalid-type'
    throw clientError(code, 'boundingBoxSequence: expected a bounding-box sequence object', 'boundingBoxSequence')
  }
}

/**
 * A fovea error whose path starts at `prefix` — the argument a route passed its request body
 * as, e.g. `annotations[0]` — with its path and message relative to the body instead (`whole`
 * names the body itself in the message).
 */
function relativeToBody(e, prefix, whole) {
  if (typeof e.path === 'string' && e.path.startsWith(prefix)) {
    const rest = e.path.slice(prefix.length).replace(/^\./, '')
    e.message = e.message.replace(e.path, rest || whole)
    e.path = rest
  }
  return e
}

/** The `:objectId` of a candidate route: a whole number, as fovea's object ids are. */
function objectIdParam(value) {
  const id = /^-?\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isSafeInteger(id)) {
    throw clientError('invalid-type', `objectId: expected a whole number, got ${JSON.stringify(value)}`, 'objectId')
  }
  return id
}

/** A review's options: the JSON body, an object (`{}` when an optional body is absent). */
function reviewOptions(body, required) {
  if (body === undefined && !required) return {}
  if (!isObject(body)) throw clientError('invalid-type', 'body: expected an object of review options', '')
  return body
}

/** Runs a review call of the store; its option errors' paths made relative to the body. */
async function review(call) {
  try {
    return await call()
  } catch (e) {
    throw relativeToBody(e, 'options', 'body')
  }
}

/** A comma-separated query list (FOVEA's filters), empty items dropped; undefined when absent. */
function list(value) {
  if (value === undefined) return undefined
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  return items.length > 0 ? items : undefined
}

/** A file name safe to create in a temp dir (kept, so that the import history names the upload). */
function safeName(filename) {
  const base = path.basename(filename ?? '').replace(/[^\w.-]/g, '_')
  return base === '' || base.startsWith('.') ? 'upload.jsonl' : base
}

/** Writes an uploaded file part to a new temp dir; returns its path and the dir to remove. */
async function saveUpload(tmp, part) {
  const dir = await fsp.mkdtemp(path.join(tmp, 'upload-'))
  const file = path.join(dir, safeName(part.filename))
  try {
    await pipeline(part.file, fs.createWriteStream(file))
  } catch (e) {
    await fsp.rm(dir, { recursive: true, force: true })
    throw e
  }
  return { file, dir }
}

/**
 * FOVEA's preview response: `{ counts: {annotations, totalKeyframes, singleKeyframeSequences},
 * conflicts, warnings }`. Lines that cannot be read (which FOVEA's shape has no place for; an
 * import leaves them out and lists them in `errors`) come first among the warnings, in FOVEA's
 * `Line {n}: …` form.
 */
function previewBody(preview) {
  const { annotations, totalKeyframes, singleKeyframeSequences } = preview.counts
  const unreadable = preview.errors.map((e) => `Line ${e.line}: ${e.message} (${e.code})`)
  return {
    counts: { annotations, totalKeyframes, singleKeyframeSequences },
    conflicts: preview.conflicts,
    warnings: [...unreadable, ...preview.warnings],
  }
}

/** FOVEA's import response (what its route schema lets through) of fovea's `ImportResult`. */
function importBody(result) {
  const message = ({ line, type, message }) => ({ line, type, message })
  const { summary } = result
  return {
    success: result.success,
    summary: {
      totalLines: summary.totalLines,
      processedLines: summary.processedLines,
      importedItems: {
        annotations: summary.importedItems.annotations,
        totalKeyframes: summary.importedItems.totalKeyframes,
        singleKeyframeSequences: summary.importedItems.singleKeyframeSequences,
      },
      skippedItems: { annotations: summary.skippedItems.annotations },
    },
    warnings: result.warnings.map(message),
    errors: result.errors.map(message),
    conflicts: result.conflicts,
  }
}

/** The type of a line fovea wrote (`{"type":"…",…}`), read without parsing the whole line. */
function lineType(line) {
  const m = /^\{"type":"([^"\\]*)"/.exec(line)
  return m ? m[1] : JSON.parse(line).type
}

/**
 * The annotation lines of an exported file, as FOVEA's export route writes them: JSON Lines
 * joined by `\n` without a trailing newline, or (`json`) a pretty-printed JSON array. The file
 * is removed when the stream ends or is destroyed (a client that goes away).
 */
async function* annotationLines(file, dir, format) {
  const input = fs.createReadStream(file, { encoding: 'utf8' })
  const lines = readline.createInterface({ input, crlfDelay: Infinity })
  try {
    let first = true
    if (format === 'json') yield '['
    for await (const line of lines) {
      if (line === '' || lineType(line) !== 'annotation') continue
      if (format === 'json') {
        // Each element as JSON.stringify(array, null, 2) would indent it.
        const pretty = JSON.stringify(JSON.parse(line), null, 2).replace(/\n/g, '\n  ')
        yield `${first ? '\n' : ',\n'}  ${pretty}`
      } else {
        yield first ? line : `\n${line}`
      }
      first = false
    }
    if (format === 'json') yield first ? ']' : '\n]'
  } finally {
    lines.close()
    input.destroy()
    await fsp.rm(dir, { recursive: true, force: true })
  }
}

/**
 * The Fastify app. Its store, queue and worker open when the app gets ready (`listen`,
 * `ready`) and close with it (`close`). `options`: see `configure`; `env` defaults to
 * `process.env`.
 */
function build(options = {}) {
  const config = configure(options, options.env ?? process.env)
  const app = Fastify({ logger: options.logger ?? false })
  // What the routes use, filled in by the onReady hook; `app.fovea` for callers and tests.
  const fovea = { config, store: null, queue: null, worker: null, tmp: null }
  app.decorate('fovea', fovea)
  app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES } })

  app.addHook('onReady', async () => {
    fovea.tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'fovea-server-'))
    fovea.store = await Store.connect(config.db, config.user ? { user: config.user } : undefined)
    await fovea.store.migrate()
    fovea.queue = await JobQueue.open(config.redis ?? undefined)
    if (config.worker) {
      fovea.worker = await fovea.queue.trackingWorker({
        modelService: config.modelService,
        db: config.saveTracks ? config.db : undefined,
        tolerance: config.tolerance,
        concurrency: config.concurrency,
      })
    }
  })

  app.addHook('onClose', async () => {
    // Worker first (its running jobs finish or go back to the queue), then queue, then store.
    if (fovea.worker) await fovea.worker.close(config.closeGraceMs)
    if (fovea.queue) await fovea.queue.close()
    if (fovea.store) await fovea.store.close()
    if (fovea.tmp) await fsp.rm(fovea.tmp, { recursive: true, force: true })
  })

  // Every error as `{ error, code, message, path?, line? }`: fovea's codes and paths, Fastify's
  // own errors (bad JSON body, upload too large) with their status.
  app.setErrorHandler((error, request, reply) => {
    const code = typeof error.code === 'string' ? error.code : 'internal'
    const fromFovea = FOVEA_CODES.has(code)
    const status = error.statusCode ?? (fromFovea ? (STATUS_BY_CODE.get(code) ?? 400) : 500)
    if (status >= 500) request.log.error(error)
    const body = { error: httpReason(status), code, message: error.message }
    if (typeof error.path === 'string') body.path = error.path
    else if (error.validation?.[0]) body.path = validationPath(error.validationContext, error.validation[0])
    if (typeof error.line === 'number') body.line = error.line
    reply.status(status).send(body)
  })

  // An annotation: saved in the store, answered with every visible frame's box.
  app.post('/api/annotations', async (request, reply) => {
    const body = request.body
    checkAnnotation(body)
    // fovea checks the sequence (throws with code and path, e.g. boundingBoxSequence.boxes[0].x).
    interpolate(body)
    try {
      await fovea.store.saveAnnotations([body])
    } catch (e) {
      // A video or persona the store lacks is `missing-dependency` (422), naming the field.
      throw relativeToBody(e, 'annotations[0]', 'annotation')
    }
    const annotation = await fovea.store.annotation(body.id)
    const interpolated = interpolate(annotation)
    return reply.status(201).send({ annotation, interpolated })
  })

  // FOVEA's export: annotation lines, streamed from a snapshot of the store.
  app.get(
    '/api/export',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            format: { enum: ['jsonl', 'json'], default: 'jsonl' },
            includeInterpolated: { type: 'boolean', default: false },
            personaIds: { type: 'string' },
            videoIds: { type: 'string' },
            annotationTypes: { type: 'string' },
          },
        },
      },
    },
    async (request, reply) => {
      const q = request.query
      const dir = await fsp.mkdtemp(path.join(fovea.tmp, 'export-'))
      const file = path.join(dir, 'annotations.jsonl')
      let stats
      try {
        // The store writes the file atomically from one consistent snapshot.
        stats = await fovea.store.export(file, {
          mode: q.includeInterpolated ? 'interpolated' : 'keyframes',
          personaIds: list(q.personaIds),
          videoIds: list(q.videoIds),
          annotationTypes: list(q.annotationTypes),
          metadata: false,
        })
      } catch (e) {
        await fsp.rm(dir, { recursive: true, force: true })
        if (e.code === 'invalid-option' && e.path === undefined) e.path = 'annotationTypes'
        throw e
      }
      const json = q.format === 'json'
      reply
        .type(json ? 'application/json' : 'application/x-ndjson')
        .header('Content-Disposition', `attachment; filename="annotations.${json ? 'json' : 'jsonl'}"`)
        .header('X-Export-Annotations', String(stats.annotationCount))
        .header('X-Export-Sequences', String(stats.sequenceCount))
        .header('X-Export-Keyframes', String(stats.keyframeCount))
        .header('X-Export-Interpolated-Frames', String(stats.interpolatedFrameCount))
      return reply.send(Readable.from(annotationLines(file, dir, q.format)))
    },
  )

  // FOVEA's import preview: the first file part, checked against the store; nothing written.
  app.post('/api/import/preview', async (request) => {
    const part = await request.file()
    if (!part) throw clientError('missing-file', 'No file provided', 'file')
    const { file, dir } = await saveUpload(fovea.tmp, part)
    try {
      return previewBody(await fovea.store.preview(file))
    } finally {
      await fsp.rm(dir, { recursive: true, force: true })
    }
  })

  // FOVEA's import: a file part and an optional `options` field (ImportOptions as JSON text),
  // in any order. A failed atomic import answers 200 with `success: false`, as FOVEA does.
  app.post('/api/import', async (request) => {
    let upload
    let importOptions
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          if (upload) part.file.resume() // only the first file is imported
          else upload = await saveUpload(fovea.tmp, part)
        } else if (part.fieldname === 'options') {
          importOptions = part.value
        }
      }
      if (!upload) throw clientError('missing-file', 'No file provided', 'file')
      let done
      try {
        // The store parses the JSON text and deep-merges it over FOVEA's defaults.
        done = await fovea.store.import(upload.file, importOptions ? { options: importOptions } : undefined)
      } catch (e) {
        if (['invalid-json', 'invalid-option'].includes(e.code) && e.path === undefined) e.path = 'options'
        throw e
      }
      return importBody(done.result)
    } finally {
      if (upload) await fsp.rm(upload.dir, { recursive: true, force: true })
    }
  })

  // A tracking job (fovea's payload, see the package README); `?jobId=` chooses its id
  // (resubmitting an id adds nothing). A payload the tracking worker could not read is refused
  // here: 400 with the field at fault (`checkTrackingJob`).
  app.post('/api/tracking', async (request, reply) => {
    if (!isObject(request.body)) throw clientError('invalid-type', 'body: expected a tracking job object', '')
    const payload = checkTrackingJob(request.body)
    const jobId = request.query.jobId
    const added = await fovea.queue.add(payload, jobId ? { id: String(jobId) } : undefined)
    return reply.status(202).send({ jobId: added.jobId, status: 'queued' })
  })

  // A job's status in FOVEA's shape `{ jobId, status, progress, result, error }` (`?shape=`
  // gives fovea's other shapes, e.g. `frontend` for FOVEA's JobStatus); 404 when unknown.
  app.get(
    '/api/jobs/:id',
    { schema: { querystring: { type: 'object', properties: { shape: { enum: JOB_SHAPES, default: 'summary' } } } } },
    async (request) => {
      const { id } = request.params
      const status = await fovea.queue.status(id, { shape: request.query.shape })
      if (status === null) throw clientError('job-not-found', `job ${id} not found`, undefined, 404)
      return status
    },
  )

  // A job's tracking candidates, by object (`?state=` filters): the worker registers them in
  // the store; a job whose worker had none is registered from its result on first look. 404
  // for an unknown job, 409 for one that has not completed.
  app.get(
    '/api/tracking/:jobId/candidates',
    { schema: { querystring: { type: 'object', properties: { state: { enum: CANDIDATE_STATES } } } } },
    async (request) => fovea.store.candidates({ jobId: request.params.jobId, state: request.query.state }, fovea.queue),
  )

  // Accepting a candidate: its track saved as the annotation `{jobId}-obj{objectId}`. The body
  // is fovea's options: `typeId` + `personaId` (+ `typeCategory`) or `entityId`; `tolerance`,
  // `decimation` or `everyFrame`; `frames`; `version` (another stored one: 409); `reviewer`.
  // The review is also written to the job's log.
  app.post('/api/tracking/:jobId/candidates/:objectId/accept', async (request) => {
    const objectId = objectIdParam(request.params.objectId)
    const options = reviewOptions(request.body, true)
    return review(() => fovea.store.acceptCandidate(request.params.jobId, objectId, options, fovea.queue))
  })

  // Rejecting a candidate (deleting the annotation it had been accepted as). Optional body:
  // `{ reason, version, reviewer }`.
  app.post('/api/tracking/:jobId/candidates/:objectId/reject', async (request) => {
    const objectId = objectIdParam(request.params.objectId)
    const options = reviewOptions(request.body, false)
    return review(() => fovea.store.rejectCandidate(request.params.jobId, objectId, options, fovea.queue))
  })

  return app
}

/** The field a Fastify schema error names, e.g. `querystring.shape`. */
function validationPath(context, { instancePath, params }) {
  const parts = [context, ...instancePath.split('/').filter(Boolean)]
  if (params?.missingProperty) parts.push(params.missingProperty)
  return parts.filter(Boolean).join('.')
}

/** The reason phrase of an HTTP status (FOVEA's `error` field). */
function httpReason(status) {
  return STATUS_CODES[status] ?? 'Error'
}

module.exports = { build, configure }

if (require.main === module) {
  const app = build({ logger: true })
  const port = Number(process.env.PORT ?? 3000)
  app.listen({ port, host: process.env.HOST ?? '0.0.0.0' }).catch((e) => {
    app.log.error(e)
    process.exit(1)
  })
  // Close cleanly (worker, queue, store) on Ctrl-C or a stop signal.
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => app.close())
}
