// Type-checked (never run) usage of the whole API against the package's declarations
// (fovea.d.ts over the generated index.d.ts): `tsc --noEmit --strict` (see the `test` script). Lines marked @ts-expect-error must stay
// errors: they check that the declarations are precise, not `any`.

import {
  JobQueue,
  SimulatedModelService,
  Worker,
  UnrecoverableError,
  reduceTrack,
  rleBbox,
  JOB_ERROR_CODES,
  type Job,
  type JobAdded,
  type JobStatusView,
  type JobCounts,
  type WorkerReport,
  interpolate,
  boxAt,
  Sequence,
  ERROR_CODES,
  type AnnotationData,
  type AnnotationLine,
  type BoundingBox,
  type BoxChanges,
  type BoxValues,
  type ControlPoints,
  type Counters,
  type ParametricSet,
  type SegmentOptions,
  type SequenceData,
  type BoundingBoxSequence,
  type SequenceOptions,
  type TypedArrays,
  readJsonl,
  JsonlLines,
  JsonlReader,
  exportJsonl,
  statsJsonl,
  validateJsonl,
  previewImport,
  mergeJsonl,
  type Conflict,
  type ExportJsonlOptions,
  type ExportResult,
  type ExportStats,
  type FileStats,
  type FoveaError,
  type ImportOptions,
  type ImportPreview,
  type ImportResult,
  type Issue,
  type JsonlBatch,
  type JsonlRecord,
  type LineError,
  type MergeResult,
  type ReadJsonlOptions,
  type ValidationReport,
  Store,
  type ImportHistoryEntry,
  type SchemaReport,
  type StoreConnectOptions,
  type StoreExportResult,
  type StoreImportOptions,
  type StoreImportResult,
  type Annotation,
  type StoredAnnotations,
  type StorePreviewOptions,
  type UnreadableRow,
} from '..'

const data: SequenceData = {
  boxes: [
    { x: 0, y: 0, width: 100, height: 100, frameNumber: 0, isKeyframe: true, confidence: 0.9, metadata: { label: 'ship' } },
    { x: 100, y: 100, width: 200, height: 200, frameNumber: 10 },
  ],
  interpolationSegments: [{ startFrame: 0, endFrame: 10, type: 'ease-in' }],
  visibilityRanges: [{ startFrame: 0, endFrame: 10, visible: true }],
  trackId: 7,
  trackingSource: 'manual',
}
const annotation: AnnotationData = { id: 'a1', videoId: 'v1', boundingBoxSequence: data }
const line: AnnotationLine = { type: 'annotation', data: annotation }
const options: SequenceOptions = { profile: 'fovea' }

// One-shot functions.
const boxes: BoundingBox[] = interpolate(data)
interpolate(annotation, options)
interpolate(line, { profile: 'default' })
interpolate(JSON.stringify(data))
const first: BoundingBox = boxes[0]
const frame: number = first.frameNumber
const key: boolean = first.isKeyframe
const conf: number | undefined = first.confidence
const meta: Record<string, unknown> | undefined = first.metadata
const at: BoundingBox | null = boxAt(data, 5)
boxAt(line, 5, options)
const codes: string[] = ERROR_CODES

// The class.
const seq = new Sequence(data, options)
new Sequence()
new Sequence(null)
new Sequence(JSON.stringify(line))
new Sequence(seq)
const fromObject: Sequence = Sequence.fromObject(annotation, { profile: 'default' })
const fromJson: Sequence = Sequence.fromJSON(JSON.stringify(data))
interpolate(seq)
boxAt(seq, 3)

const profile: 'default' | 'fovea' = seq.profile
const keyframes: BoundingBox[] = seq.keyframes
const counters: Counters = seq.counters
const total: number = counters.totalFrames + counters.keyframeCount + counters.interpolatedFrameCount
const span: [number, number] | null = seq.span
const count: number = seq.frameCount

const obj: BoundingBoxSequence = seq.toObject()
const json: BoundingBoxSequence = seq.toJSON()
const text: string = seq.toJsonString() + JSON.stringify(seq) + seq.toString() + String(seq)
const all: BoundingBox[] = seq.interpolate()
const one: BoundingBox | null = seq.at(4)
const arrays: TypedArrays = seq.toTypedArrays()
const frames: Int32Array = arrays.frames
const values: Float64Array = arrays.boxes

// Edits.
const values4: BoxValues = { x: 1, y: 2, width: 3, height: 4 }
seq.addKeyframe(3, values4)
seq.addKeyframe(4, [1, 2, 3, 4])
seq.addKeyframe(5)
const removed: BoundingBox = seq.removeKeyframe(5)
const changes: BoxChanges = { x: 5, confidence: 0.5, metadata: { checked: true } }
seq.updateKeyframe(3, changes)
seq.moveKeyframe(3, 6)
const controlPoints: ControlPoints = { x: [{ x: 0.42, y: 0 }, { x: 1, y: 1 }] }
const parametric: ParametricSet = { y: { type: 'quadratic', parameters: { a: 2 } } }
const segment: SegmentOptions = { controlPoints, parametric }
seq.setInterpolation(0, 'bezier', segment)
seq.setInterpolation(0, 'parametric', { parametric })
seq.setInterpolation(0, 'hold')
seq.setVisibility(1, 2, false)
const visible: boolean = seq.toggleVisibility(1)
const copy: Sequence = seq.copy()
const same: boolean = seq.equals(copy)

// Thrown errors carry the core's code (and path).
try {
  seq.at(-1)
} catch (e) {
  const err = e as Error & { code: string; path?: string }
  const found: boolean = codes.includes(err.code) && (err.path ?? '').length >= 0
  void found
}

// JSON Lines exchange: Promises of typed results.
async function exchange(signal: AbortSignal): Promise<void> {
  const readOptions: ReadJsonlOptions = { onError: 'collect', maxLineBytes: 1 << 20, lineNumbers: 'nonBlank', signal }
  const lines: JsonlLines = readJsonl('data.jsonl', readOptions)
  for await (const record of lines) {
    const r: JsonlRecord = record
    const n: number = r.line
    const kind: string = r.type
    const payload: Record<string, unknown> = r.data
    void [n, kind, payload]
  }
  const collected: FoveaError[] = lines.errors
  const firstLine: number | undefined = collected[0]?.line
  const next: IteratorResult<JsonlRecord, undefined> = await readJsonl('data.jsonl').next()
  await readJsonl('data.jsonl').return()
  const reader = new JsonlReader('data.jsonl', { onError: 'skip' })
  const batch: JsonlBatch = await reader.nextBatch(100)
  const batchRecords: JsonlRecord[] = batch.records
  const batchDone: boolean = batch.done
  reader.close()

  const exportOptions: ExportJsonlOptions = {
    mode: 'interpolated',
    personaIds: ['p'],
    videoIds: ['v'],
    annotationTypes: ['type', 'object'],
    profile: 'fovea',
    exportDate: '2025-01-01T00:00:00.000Z',
    metadata: false,
    signal,
  }
  const exported: ExportResult = await exportJsonl('in.jsonl', 'out.jsonl', exportOptions)
  const readErrors: LineError[] = exported.readErrors
  const written: number = exported.lines['annotation'] + exported.keyframeCount + exported.interpolatedFrameCount + exported.bytes
  const stats: FileStats = await statsJsonl('in.jsonl', { signal })
  const frames: number = stats.frames + stats.interpolatedFrames + stats.unreadableLines
  const report: ValidationReport = await validateJsonl('in.jsonl', { profile: 'fovea', maxIssues: 10 })
  const issue: Issue | undefined = report.errors[0]
  const severity: 'error' | 'warning' | undefined = issue?.severity
  const preview: ImportPreview = await previewImport('in.jsonl', { existing: 'store.jsonl', profile: 'default', maxIssues: 5, memoryBudget: 1 << 20, spillDir: '/tmp' })
  const conflict: Conflict | undefined = preview.conflicts[0]
  const conflictType: 'duplicate-sequence' | string | undefined = conflict?.type
  const importOptions: ImportOptions = {
    conflictResolution: { sequences: { duplicateSequenceIds: 'merge-keyframes' }, missingDependencies: 'create-placeholder' },
    validation: { strictMode: true },
    transaction: { atomic: false },
    resolutions: [{ line: 3, type: 'duplicate-sequence', resolution: 'replace' }],
  }
  const merged: MergeResult = await mergeJsonl('store.jsonl', 'in.jsonl', 'store.jsonl', { options: importOptions, exportDate: 'now', signal })
  await mergeJsonl(null, 'in.jsonl', 'out.jsonl', { options: '{"transaction":{"atomic":false}}' })
  const result: ImportResult = merged.result
  const committed: boolean = result.committed && result.success
  const imported: number = result.summary.importedItems.annotations + result.summary.skippedItems.annotations
  const writtenStats: ExportStats | null = merged.stats

  // @ts-expect-error not an error mode
  readJsonl('data.jsonl', { onError: 'ignore' })
  // @ts-expect-error not an export mode
  exportJsonl('in.jsonl', 'out.jsonl', { mode: 'all' })
  // @ts-expect-error annotation types are `type` or `object`
  exportJsonl('in.jsonl', 'out.jsonl', { annotationTypes: ['track'] })
  // @ts-expect-error not a strategy
  mergeJsonl(null, 'in.jsonl', 'out.jsonl', { options: { conflictResolution: { personas: 'overwrite' } } })
  // @ts-expect-error the stats may be null
  const notNullStats: ExportStats = merged.stats
  // @ts-expect-error results are Promises
  const notAwaited: FileStats = statsJsonl('in.jsonl')

  void [
    collected, firstLine, next, batchRecords, batchDone, readErrors, written, frames, severity,
    conflictType, committed, imported, writtenStats, notNullStats, notAwaited,
  ]
}
void exchange

// The database store: Promises of typed results.
async function database(signal: AbortSignal): Promise<void> {
  const connectOptions: StoreConnectOptions = { user: 'analyst', layout: 'ui', maxConnections: 4, signal }
  const store: Store = await Store.connect('sqlite://fovea.db', connectOptions)
  await Store.connect()
  await Store.connect(null, { layout: 'whole' })
  const backend: 'postgres' | 'sqlite' = store.backend
  const report: SchemaReport = await store.migrate({ signal })
  const created: string[] = report.created.concat(report.existing)
  const fromFovea: boolean = report.foveaMigrations
  const found: Annotation | null = await store.annotation('a1')
  const persona: string | undefined = found?.personaId
  const stored: StoredAnnotations = await store.annotations()
  await store.annotations('v1', { signal })
  await store.annotations(null)
  const ids: string[] = stored.annotations.map((a) => a.id + a.videoId)
  const unreadable: UnreadableRow[] = stored.unreadable
  const bad: string | undefined = unreadable[0]?.code
  const annotation: AnnotationData & { id: string; videoId: string } = {
    id: 'a2',
    videoId: 'v1',
    annotationType: 'type',
    personaId: 'p1',
    typeCategory: 'entity',
    typeId: 'ship',
    confidence: 0.5,
    metadata: { source: 'test' },
    boundingBoxSequence: { boxes: [{ x: 0, y: 0, width: 1, height: 1, frameNumber: 0 }] },
  }
  const saved: number = await store.saveAnnotations([annotation, ...stored.annotations])
  const deleted: number = await store.deleteAnnotations(['a1', 'a2'], { signal })
  const exported: StoreExportResult = await store.export('out.jsonl', {
    mode: 'keyframes',
    videoIds: ['v1'],
    annotationTypes: ['object'],
    exportDate: '2025-01-01T00:00:00.000Z',
    metadata: true,
    signal,
  })
  const exportedCount: number = exported.annotationCount + exported.lines['annotation'] + exported.bytes
  const unreadableRows: UnreadableRow[] = exported.unreadable
  const invalidObjects: LineError[] = exported.invalidObjects
  const previewOptions: StorePreviewOptions = { profile: 'fovea', maxIssues: 10, signal }
  const preview: ImportPreview = await store.preview('in.jsonl', previewOptions)
  const importOptions: StoreImportOptions = {
    options: { conflictResolution: { missingDependencies: 'create-placeholder' }, transaction: { atomic: true } },
    profile: 'default',
    maxIssues: 5,
    user: 'importer',
    signal,
  }
  const imported: StoreImportResult = await store.import('in.jsonl', importOptions)
  await store.import('in.jsonl', { options: '{"validation":{"validateReferences":false}}' })
  await store.import('in.jsonl')
  const committed: boolean = imported.result.committed
  const historyId: string = imported.historyId
  const importedPreview: ImportPreview = imported.preview
  const history: ImportHistoryEntry[] = await store.importHistory()
  const by: string | null | undefined = history[0]?.importedBy
  const items: number | undefined = history[0]?.itemsImported
  const closed: void = await store.close()

  // @ts-expect-error not a layout
  Store.connect('sqlite://fovea.db', { layout: 'rows' })
  // @ts-expect-error the annotation may be null
  const notNull: Annotation = await store.annotation('a1')
  // @ts-expect-error ids are strings
  store.deleteAnnotations([1])
  // @ts-expect-error an annotation needs an id and a video
  store.saveAnnotations([{ boundingBoxSequence: { boxes: [] } }])
  // @ts-expect-error not a strategy
  store.import('in.jsonl', { options: { conflictResolution: { personas: 'overwrite' } } })
  // @ts-expect-error the backend is read-only
  store.backend = 'sqlite'
  // @ts-expect-error results are Promises
  const notAwaited: SchemaReport = store.migrate()

  void [
    backend, created, fromFovea, persona, ids, bad, saved, deleted, exportedCount, unreadableRows,
    invalidObjects, preview, committed, historyId, importedPreview, by, items, closed, notNull,
    notAwaited,
  ]
}
void database

// The declarations are precise.
// @ts-expect-error frames are numbers
seq.at('5')
// @ts-expect-error unknown profile
interpolate(data, { profile: 'strict' })
// @ts-expect-error not an interpolation type
seq.setInterpolation(0, 'step')
// @ts-expect-error four values
seq.addKeyframe(1, [1, 2, 3])
// @ts-expect-error boxes are required
const noBoxes: SequenceData = { interpolationSegments: [] }
// @ts-expect-error the result may be null
const notNull: BoundingBox = seq.at(3)

void [
  first, frame, key, conf, meta, at, fromObject, fromJson, profile, keyframes, total, span, count,
  obj, json, text, all, one, frames, values, removed, visible, same, noBoxes, notNull,
]

// Tracking jobs: the queue, a JS handler, status views, the track converters.
async function jobs(): Promise<void> {
  const queue: JobQueue = await JobQueue.open(null, { name: 'object-tracking' })
  const backend: 'in-process' | 'bullmq' = queue.backend
  const worker: Worker = await queue.worker(
    async (job: Job) => {
      job.progress(50)
      if (job.cancelled) throw new UnrecoverableError('stopped')
      return { tracks: job.data, attempt: job.attemptsMade }
    },
    { concurrency: 2, timeoutMs: 60000 },
  )
  const added: JobAdded = await queue.add({ videoId: 'v' }, { id: 'a', jobOptions: { attempts: 1 } })
  const view: JobStatusView | null = await queue.wait(added.jobId, { shape: 'summary', timeoutMs: 1000 })
  const counts: JobCounts = await queue.counts()
  const report: WorkerReport | null = await worker.close(1000)
  const reduced: Sequence = reduceTrack({ frames: [] }, 1)
  const box: [number, number, number, number] | null = rleBbox({ size: [4, 3], counts: [12] })
  // @ts-expect-error shapes are named
  await queue.status('a', { shape: 'fancy' })
  const service: SimulatedModelService = await SimulatedModelService.start({
    videos: { v1: { width: 640, height: 480, frames: 60 } },
    velocity: [1, 0],
  })
  const tracking: Worker = await queue.trackingWorker({ modelService: service.url, tolerance: 0.5 })
  // @ts-expect-error the model service is required
  await queue.trackingWorker({ tolerance: 1 })
  void [backend, view, counts, report, reduced, box, JOB_ERROR_CODES, tracking]
}
void jobs
