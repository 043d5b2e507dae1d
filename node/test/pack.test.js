'use strict'
// The npm package as a user gets it: `npm pack` of node/ into a temp dir, the tarball installed
// (offline: the package has no runtime dependencies) into an empty project, then used from
// there — a CommonJS file, an ESM file (named and default imports) and a TypeScript file
// type-checked with the tsc of node/node_modules against the installed declarations
// (moduleResolution nodenext, so the package's `exports` decide what resolves).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const PACKAGE_DIR = path.join(__dirname, '..')
const TSC = path.join(PACKAGE_DIR, 'node_modules', '.bin', 'tsc')

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-node-pack-'))
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))

/** Runs a command, returning its stdout; a failure shows the command's stderr. */
function run(command, args, cwd) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    assert.fail(`${command} ${args.join(' ')} failed (${e.status}):\n${e.stdout}\n${e.stderr}`)
  }
}

// Two keyframes 0 → 10 on an ease-in segment: x = 100 t², so 25 at frame 5 (the README's
// example); the box at frame 5 is interpolated, not a keyframe.
const USAGE = `
const sequence = {
  boxes: [
    { x: 0, y: 0, width: 100, height: 100, frameNumber: 0 },
    { x: 100, y: 100, width: 200, height: 200, frameNumber: 10 },
  ],
  interpolationSegments: [{ startFrame: 0, endFrame: 10, type: 'ease-in' }],
  visibilityRanges: [],
}
`

const CJS = `'use strict'
const { interpolate, boxAt, Sequence } = require('fovea-core')
${USAGE}
const frames = interpolate(sequence)
const seq = new Sequence(sequence)
console.log(JSON.stringify({
  kind: 'cjs',
  frames: frames.length,
  at5: frames[5],
  boxAt7: boxAt(sequence, 7).width,
  span: seq.span,
}))
`

const ESM = `import fovea, { interpolate, boxAt, Sequence, readJsonl } from 'fovea-core'
${USAGE}
const frames = interpolate(sequence)
console.log(JSON.stringify({
  kind: 'esm',
  frames: frames.length,
  at5: frames[5],
  boxAt7: boxAt(sequence, 7).width,
  span: new Sequence(sequence).span,
  sameDefault: fovea.interpolate === interpolate && fovea.Sequence === Sequence,
  readJsonl: typeof readJsonl,
}))
`

// Type-checked, never run. The @ts-expect-error lines must stay errors: they fail the check
// if the declarations do not resolve (everything would be \`any\`) or are imprecise.
const TS = `import { interpolate, boxAt, Sequence, Store, JobQueue, type BoundingBox, type SequenceData, type FoveaError } from 'fovea-core'

const data: SequenceData = {
  boxes: [
    { x: 0, y: 0, width: 100, height: 100, frameNumber: 0 },
    { x: 100, y: 100, width: 200, height: 200, frameNumber: 10 },
  ],
  interpolationSegments: [{ startFrame: 0, endFrame: 10, type: 'ease-in' }],
}
const frames: BoundingBox[] = interpolate(data)
const x: number = frames[0].x
const at: BoundingBox | null = boxAt(data, 5)
const span: [number, number] | null = new Sequence(data).span
export async function store(): Promise<number> {
  const s: Store = await Store.connect('sqlite::memory:')
  const q: JobQueue = await JobQueue.open()
  await q.close()
  return (await s.annotations()).annotations.length
}
export function codeOf(e: FoveaError): string {
  return e.code
}
// @ts-expect-error frame numbers are numbers
interpolate({ boxes: [{ x: 0, y: 0, width: 1, height: 1, frameNumber: '0' }] })
// @ts-expect-error interpolate returns boxes, not a string
const wrong: string = interpolate(data)
export { x, at, span, wrong }
`

test('npm pack: the tarball installs into an empty project and works from CJS, ESM and TypeScript', async (t) => {
  // Pack (no lifecycle scripts: the addon is already built).
  const packDir = path.join(tmp, 'pack')
  fs.mkdirSync(packDir)
  const [packed] = JSON.parse(
    run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], PACKAGE_DIR),
  )
  const tarball = path.join(packDir, packed.filename)
  assert.ok(fs.existsSync(tarball), `no tarball at ${tarball}`)
  assert.equal(packed.name, 'fovea-core')

  await t.test('the tarball holds the addon and the entry points, and no tests or examples', () => {
    const files = packed.files.map((f) => f.path).sort()
    for (const required of ['package.json', 'fovea.js', 'fovea.d.ts', 'index.js', 'index.d.ts']) {
      assert.ok(files.includes(required), `${required} missing from ${files.join(', ')}`)
    }
    const addons = files.filter((f) => f.endsWith('.node'))
    assert.equal(addons.length, 1, `one native addon expected: ${files.join(', ')}`)
    assert.ok(!addons[0].includes('/'), `the addon is at the package root: ${addons[0]}`)
    assert.ok(packed.files.find((f) => f.path === addons[0]).size > 100_000, 'the addon is a real binary')
    const stray = files.filter((f) => f.includes('/') || /test|example/.test(f))
    assert.deepStrictEqual(stray, [], 'only the package root files are packed')
  })

  // An empty project with the tarball installed.
  const project = path.join(tmp, 'project')
  fs.mkdirSync(project)
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'uses-fovea', private: true }))
  run('npm', ['install', '--no-audit', '--no-fund', '--offline', '--ignore-scripts', tarball], project)
  const installed = path.join(project, 'node_modules', 'fovea-core')
  assert.ok(fs.lstatSync(installed).isDirectory(), 'installed as a copy, not a link')
  assert.ok(!fs.existsSync(path.join(installed, 'test')))

  const expected = {
    frames: 11,
    at5: { x: 25, y: 25, width: 125, height: 125, frameNumber: 5, isKeyframe: false },
    boxAt7: 100 + 100 * 0.7 * 0.7,
    span: [0, 10],
  }

  await t.test('CommonJS: require("fovea-core")', () => {
    fs.writeFileSync(path.join(project, 'use.cjs'), CJS)
    const out = JSON.parse(run(process.execPath, ['use.cjs'], project))
    assert.equal(out.kind, 'cjs')
    assert.equal(out.frames, expected.frames)
    assert.deepStrictEqual(out.at5, expected.at5)
    assert.ok(Math.abs(out.boxAt7 - expected.boxAt7) < 1e-9, `width at 7: ${out.boxAt7}`)
    assert.deepStrictEqual(out.span, expected.span)
  })

  await t.test('ESM: named and default imports of "fovea-core"', () => {
    fs.writeFileSync(path.join(project, 'use.mjs'), ESM)
    const out = JSON.parse(run(process.execPath, ['use.mjs'], project))
    assert.equal(out.kind, 'esm')
    assert.equal(out.frames, expected.frames)
    assert.deepStrictEqual(out.at5, expected.at5)
    assert.ok(Math.abs(out.boxAt7 - expected.boxAt7) < 1e-9, `width at 7: ${out.boxAt7}`)
    assert.deepStrictEqual(out.span, expected.span)
    assert.equal(out.sameDefault, true, 'the default import is the module of the named ones')
    assert.equal(out.readJsonl, 'function')
  })

  await t.test('TypeScript: tsc --strict --noEmit against the installed declarations', () => {
    assert.ok(fs.existsSync(TSC), `no tsc at ${TSC}: run npm install in node/ (typescript is a devDependency)`)
    fs.writeFileSync(path.join(project, 'use.ts'), TS)
    run(
      TSC,
      ['--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', 'use.ts'],
      project,
    )
    // The check can fail: a type error in the usage file is reported.
    fs.writeFileSync(path.join(project, 'wrong.ts'), "import { interpolate } from 'fovea-core'\nconst n: number = interpolate({ boxes: [] })\n")
    let failed = false
    try {
      execFileSync(TSC, ['--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'wrong.ts'], {
        cwd: project,
        stdio: 'pipe',
      })
    } catch (e) {
      failed = true
      assert.match(String(e.stdout), /wrong\.ts/)
    }
    assert.ok(failed, 'tsc accepted a type error: the declarations did not resolve')
  })
})
