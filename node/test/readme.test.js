'use strict'
// The README's JavaScript example (its "Node" section) runs as written: each block is an ES
// module importing `fovea-core` (this package, by its own name), run from the repository root.
// Snippets elsewhere in the README show calls against servers and files of the reader's own.

const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const test = require('node:test')

const REPO = path.join(__dirname, '..', '..')
const README = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')
const SECTION = README.split('\n## Node\n')[1].split('\n## ')[0]
const BLOCKS = [...SECTION.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])

test('the README has JavaScript examples', () => {
  assert.ok(BLOCKS.length > 0)
})

BLOCKS.forEach((code, i) => {
  test(`README js block ${i + 1} runs`, () => {
    // Inside the package folder, so that `import … from 'fovea-core'` resolves to it.
    const file = path.join(__dirname, '..', `.readme-${process.pid}-${i}.mjs`)
    fs.writeFileSync(file, code)
    try {
      execFileSync(process.execPath, [file], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (e) {
      assert.fail(`block ${i + 1} failed:\n${e.stdout}\n${e.stderr}`)
    } finally {
      fs.rmSync(file, { force: true })
    }
  })
})
