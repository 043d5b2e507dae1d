'use strict'
// Shared helpers of the Node suite (not a test file itself; node --test runs it as an empty one).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')
const { spawn, execFileSync } = require('node:child_process')
const { once } = require('node:events')

const FIXTURES = path.join(__dirname, '..', '..', 'testdata', 'interp')

/** Parsed `testdata/interp/<name>`. */
function fixture(name) {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'))
}

/**
 * `expected` is a subset of `actual`: objects by key, arrays element-wise with equal length,
 * numbers within 1e-9 * max(1, |e|) — the Rust fixture runner's rule.
 */
function assertSubset(actual, expected, at) {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${at}: expected an array, got ${JSON.stringify(actual)}`)
    assert.equal(actual.length, expected.length, `${at}: length of ${JSON.stringify(actual)}`)
    expected.forEach((e, i) => assertSubset(actual[i], e, `${at}[${i}]`))
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(
      actual !== null && typeof actual === 'object' && !Array.isArray(actual),
      `${at}: expected an object, got ${JSON.stringify(actual)}`,
    )
    for (const [k, e] of Object.entries(expected)) {
      assert.ok(Object.hasOwn(actual, k), `${at}.${k}: missing in ${JSON.stringify(actual)}`)
      assertSubset(actual[k], e, `${at}.${k}`)
    }
  } else if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${at}: expected a number, got ${JSON.stringify(actual)}`)
    assert.ok(
      Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
      `${at}: ${actual} != ${expected}`,
    )
  } else {
    assert.deepStrictEqual(actual, expected, at)
  }
}

/**
 * Runs `fn`, which must throw an `Error` with the given `code` (and `path`: a string, or
 * `null` for "no path property"). Returns the error.
 */
function expectCode(fn, code, path) {
  let error
  assert.throws(fn, (e) => {
    error = e
    return true
  })
  assert.ok(error instanceof Error, `not an Error: ${error}`)
  assert.equal(error.code, code, `code of: ${error.message}`)
  if (path === null) {
    assert.ok(!('path' in error), `unexpected path ${error.path}: ${error.message}`)
  } else if (path !== undefined) {
    assert.equal(error.path, path, `path of: ${error.message}`)
    assert.ok(error.message.includes(path), `the message names the field: ${error.message}`)
  }
  return error
}

/**
 * Awaits `promise`, which must reject with an `Error` with the given `code` (and `path`, as for
 * `expectCode`). Returns the error.
 */
async function expectRejection(promise, code, path) {
  let error
  await assert.rejects(promise, (e) => {
    error = e
    return true
  })
  return expectCode(() => {
    throw error
  }, code, path)
}

/** Two keyframes, 0 → 10, linear, with extra fields everywhere. */
function sample() {
  return {
    boxes: [
      { x: 0, y: 0, width: 100, height: 100, frameNumber: 0, isKeyframe: true, confidence: 0.5, note: 'k0' },
      { x: 100, y: 100, width: 200, height: 200, frameNumber: 10, isKeyframe: true },
    ],
    interpolationSegments: [],
    visibilityRanges: [],
    trackingSource: 'manual',
  }
}

/** A throwaway redis-server on a free port, ready when its log says so; null to skip. */
async function startRedis(t) {
  let binary = process.env.FOVEA_REDIS_SERVER
  if (!binary) {
    try {
      binary = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim()
    } catch {
      binary = ''
    }
  }
  if (!binary) {
    if (process.env.FOVEA_REQUIRE_SERVICES === '1') assert.fail('no redis-server, and the test script requires Redis')
    t.skip('no redis-server binary')
    return null
  }
  const net = require('node:net')
  const probe = net.createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const port = probe.address().port
  probe.close()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-node-redis-'))
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const lines = readline.createInterface({ input: child.stdout })
  const log = []
  for await (const line of lines) {
    log.push(line)
    if (line.includes('Ready to accept connections')) break
  }
  assert.ok(log.at(-1)?.includes('Ready to accept connections'), `redis-server did not start:\n${log.join('\n')}`)
  child.stdout.resume()
  t.after(async () => {
    child.kill()
    await once(child, 'exit')
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return `redis://127.0.0.1:${port}`
}

module.exports = { FIXTURES, fixture, assertSubset, expectCode, expectRejection, sample, startRedis }
