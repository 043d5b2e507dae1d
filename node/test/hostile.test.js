// The hostile-input suite (testdata/hostile/cases.json) through Node: each case's operations
// called on the package in a folder of their own, checking the outcome (the success flag, or
// the error thrown and its code), the texts the report or message must hold, that no temporary
// file is left behind and, for the memory cases, the peak RSS of a child process limited with
// `ulimit -d` (V8 reserves more address space than `ulimit -v` allows). The command-line and
// Python suites run the same cases.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { randomBytes } = require('node:crypto')
const { execFileSync, spawnSync } = require('node:child_process')
const fovea = require('..')

const HOSTILE = path.join(__dirname, '..', '..', 'testdata', 'hostile')
const MANIFEST = JSON.parse(fs.readFileSync(path.join(HOSTILE, 'cases.json'), 'utf8'))
const OPTIONS = MANIFEST.importOptions

/** The case's input in `folder`: its file copied, generated from its parts, or a folder. */
function input (c, folder) {
  if (c.file) {
    const p = path.join(folder, c.file)
    fs.copyFileSync(path.join(HOSTILE, c.file), p)
    return p
  }
  const p = path.join(folder, 'input')
  if (c.folder) {
    fs.mkdirSync(p)
    return p
  }
  const fd = fs.openSync(p, 'w')
  for (const [text, times] of c.make) fs.writeSync(fd, text.repeat(times))
  fs.closeSync(fd)
  return p
}

function psql (server, sql) {
  execFileSync('psql', [server, '-qc', sql], { stdio: 'inherit' })
}

async function importInto (url, file, migrate) {
  const store = await fovea.Store.connect(url)
  try {
    if (migrate) await store.migrate()
    return await store.import(file, { options: OPTIONS })
  } finally {
    await store.close()
  }
}

/** Runs `op`; resolves to [success flag, report] (or null when the case cannot run here). */
async function call (op, file, folder, storeDir) {
  switch (op) {
    case 'validate': {
      const r = await fovea.validateJsonl(file)
      return [r.valid, r]
    }
    case 'stats': return [true, await fovea.statsJsonl(file)]
    case 'preview': return [true, await fovea.previewImport(file)]
    case 'merge': {
      const r = await fovea.mergeJsonl(null, file, path.join(folder, 'out.jsonl'), { options: OPTIONS })
      return [r.result.success, r]
    }
    case 'import': {
      const r = await importInto(`sqlite://${path.join(storeDir, 'store.db')}`, file, false)
      return [r.result.success, r]
    }
    case 'import-postgres': {
      const server = process.env.FOVEA_TEST_DATABASE_URL
      if (!server) {
        if (process.env.FOVEA_REQUIRE_SERVICES === '1') assert.fail('FOVEA_TEST_DATABASE_URL is not set, and scripts/test requires Postgres')
        return null
      }
      const name = `fovea_hostile_node_${randomBytes(6).toString('hex')}`
      psql(server, `CREATE DATABASE ${name}`)
      try {
        const url = new URL(server)
        url.pathname = `/${name}`
        const r = await importInto(url.href, file, true)
        return [r.result.success, r]
      } finally {
        psql(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      }
    }
    case 'export':
    case 'export-interpolated': {
      const mode = op === 'export' ? 'keyframes' : 'interpolated'
      const r = await fovea.exportJsonl(file, path.join(folder, 'out.jsonl'), { mode })
      return [r.readErrors.length === 0, r]
    }
    case 'interpolate': {
      const line = fs.readFileSync(file, 'utf8').split('\n').map((l) => l && JSON.parse(l)).find((l) => l && l.type === 'annotation')
      return [true, { frames: fovea.interpolate(line).length }]
    }
    case 'track': return [true, fovea.checkTrackingJob(JSON.parse(fs.readFileSync(file, 'utf8')))]
    default: throw new Error(`unknown operation ${op}`)
  }
}

// The child reports its own high-water mark (VmHWM): getrusage would also count what it shared
// with this process when forked.
const LIMITED = `
const fovea = require(process.argv[1])
fovea.exportJsonl(process.argv[2], process.argv[3], { mode: process.argv[4] }).then((r) => {
  if (r.readErrors.length) throw new Error(JSON.stringify(r.readErrors))
  const status = require('node:fs').readFileSync('/proc/self/status', 'utf8')
  process.stdout.write(status.match(/^VmHWM:\\s+(\\d+)/m)[1])
})
`

/** Runs an export in a child limited to `memory.virtualMb` of data; returns its peak RSS (MB). */
function runLimited (op, file, folder, memory) {
  const mode = op === 'export' ? 'keyframes' : 'interpolated'
  const pkg = path.join(__dirname, '..')
  const script = `ulimit -d ${memory.virtualMb * 1024}; exec "$0" -e "$1" "$2" "$3" "$4" "$5"`
  const run = spawnSync('sh', ['-c', script, process.execPath, LIMITED, pkg, file, path.join(folder, 'out.jsonl'), mode], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  return Math.floor(Number(run.stdout) / 1024)
}

for (const c of MANIFEST.cases) {
  for (const [op, expect] of Object.entries(c.expect)) {
    test(`hostile ${c.name}: ${op}`, async (t) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-hostile-'))
      const folder = path.join(root, 'work')
      const storeDir = path.join(root, 'store')
      fs.mkdirSync(folder)
      fs.mkdirSync(storeDir)
      try {
        const file = input(c, folder)
        const before = new Set(fs.readdirSync(folder))
        let text = ''
        if (expect.memory) {
          const peak = runLimited(op, file, folder, expect.memory)
          assert.ok(peak <= expect.memory.peakRssMb, `peak RSS ${peak} MB`)
          assert.equal(expect.exit, 0)
        } else if (expect.code) {
          let thrown = null
          try {
            await call(op, file, folder, storeDir)
          } catch (e) {
            thrown = e
          }
          assert.ok(thrown, `${op} did not throw`)
          assert.equal(thrown.code, expect.code, thrown.message)
          text = thrown.message
        } else {
          const done = await call(op, file, folder, storeDir)
          if (done === null) {
            t.skip('FOVEA_TEST_DATABASE_URL is not set')
            return
          }
          const [ok, report] = done
          text = JSON.stringify(report)
          assert.equal(ok, expect.exit === 0, text.slice(0, 2000))
        }
        for (const m of expect.mentions || []) {
          const alternatives = Array.isArray(m) ? m : [m]
          assert.ok(alternatives.some((a) => text.includes(a)), `${m} not in ${text.slice(0, 2000)}`)
        }
        // Nothing is left behind but the output an operation that could read its input writes.
        const allowed = expect.exit !== 2 ? ['out.jsonl'] : []
        const left = fs.readdirSync(folder).filter((f) => !before.has(f) && !allowed.includes(f))
        assert.deepEqual(left, [])
      } finally {
        fs.rmSync(root, { recursive: true, force: true })
      }
    })
  }
}
