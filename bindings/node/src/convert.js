// The JavaScript half of the Node binding's conversions (`convert.rs`), evaluated once per
// environment by the addon itself. Values cross the boundary as tapes — flat typed arrays of
// tags, sizes and numbers, plus one string holding every string — rather than as JSON text or
// property-by-property Node-API calls: V8 builds objects from a tape in JavaScript about as
// fast as JSON.parse does from text, and far faster than Node-API can set their properties.
//
// Rust → JavaScript (`decode`): `ops` (Uint32Array) holds one word per value, `tag | payload
// << 3`: 0 a number (the next of `nums`), 1 a string (payload: its index among the strings),
// 2 an object (payload: its entry count; each entry is a key word `index << 1 | defined`,
// then the value), 3 an array (payload: its length), 4 true, 5 false, 6 null, 7 a small
// non-negative integer (payload). The strings are slices of `text` at `offsets`.
//
// JavaScript → Rust (`encode`): what JSON.stringify would write — own enumerable string keys
// in their order, `toJSON()` honoured, boxed primitives unwrapped, `undefined` properties
// left out and `undefined` items written as null — as `tags` (Uint8Array: 0 number, 1
// string, 2 object, 3 array, 4 true, 5 false, 6 null, 7 a non-finite number, 8 a value with
// no JSON meaning), `sizes` (Uint32Array: a string's length, an object's entry count, an
// array's length, the kind of a meaningless value), `nums` (Float64Array) and the strings
// joined into one. Keys are strings in the same stream. Values JSON cannot hold are not
// refused here: the Rust reader refuses them where it meets them, naming their path.
;(function () {
  'use strict'

  const MAX_DEPTH = 128

  function slices(text, offsets) {
    const count = offsets.length - 1
    const strs = new Array(count)
    for (let i = 0; i < count; i++) strs[i] = text.slice(offsets[i], offsets[i + 1])
    return strs
  }

  function decode(ops, nums, text, offsets, many) {
    const strs = slices(text, offsets)
    let o = 0
    let n = 0
    function value() {
      const w = ops[o++]
      switch (w & 7) {
        case 0:
          return nums[n++]
        case 1:
          return strs[w >>> 3]
        case 2: {
          const obj = {}
          for (let i = w >>> 3; i > 0; i--) {
            const k = ops[o++]
            if (k & 1) {
              // `__proto__`: an own property, as JSON.parse makes it.
              Object.defineProperty(obj, strs[k >>> 1], {
                value: value(),
                writable: true,
                enumerable: true,
                configurable: true,
              })
            } else {
              obj[strs[k >>> 1]] = value()
            }
          }
          return obj
        }
        case 3: {
          const arr = []
          for (let i = w >>> 3; i > 0; i--) arr.push(value())
          return arr
        }
        case 4:
          return true
        case 5:
          return false
        case 6:
          return null
        default:
          return w >>> 3
      }
    }
    if (!many) return value()
    const out = []
    while (o < ops.length) out.push(value())
    return out
  }

  // Every visible frame as FOVEA's boxes: `keys` (the keyframes' objects) at `rows`, the
  // other rows `{x, y, width, height, frameNumber, isKeyframe: false}` from the columns, all
  // of one shape. `checked`: some values are not finite (JSON writes them as null).
  function boxes(frames, values, rows, keys, checked) {
    const n = frames.length
    const out = new Array(n)
    // V8 decides per allocation site whether objects start in the young or the old
    // generation, from how many survived before: the objects of a large call survive
    // collections, those of small calls mostly do not. Large calls get their own site, so
    // that what small calls teach it does not slow large ones (2-3x at a million frames).
    const fill = checked ? fillChecked : n >= LARGE ? fillLarge : fillSmall
    let start = 0
    for (let k = 0; k <= rows.length; k++) {
      const end = k < rows.length ? rows[k] : n
      fill(out, frames, values, start, end)
      if (k < rows.length) out[end] = keys[k]
      start = end + 1
    }
    return out
  }

  // Frames from which a call counts as large (see `boxes`).
  const LARGE = 100000

  // Rows `start..end` (exclusive) of the columns as box objects; `fillLarge` is the same
  // loop with an allocation site of its own.
  function fillSmall(out, frames, values, start, end) {
    for (let i = start, j = 4 * start; i < end; i++, j += 4) {
      out[i] = {
        x: values[j],
        y: values[j + 1],
        width: values[j + 2],
        height: values[j + 3],
        frameNumber: frames[i],
        isKeyframe: false,
      }
    }
  }

  function fillLarge(out, frames, values, start, end) {
    for (let i = start, j = 4 * start; i < end; i++, j += 4) {
      out[i] = {
        x: values[j],
        y: values[j + 1],
        width: values[j + 2],
        height: values[j + 3],
        frameNumber: frames[i],
        isKeyframe: false,
      }
    }
  }

  // The rows as box objects, non-finite values written as null.
  function fillChecked(out, frames, values, start, end) {
    for (let i = start, j = 4 * start; i < end; i++, j += 4) {
      out[i] = {
        x: finite(values[j]),
        y: finite(values[j + 1]),
        width: finite(values[j + 2]),
        height: finite(values[j + 3]),
        frameNumber: frames[i],
        isKeyframe: false,
      }
    }
  }

  function finite(v) {
    return Number.isFinite(v) ? v : null
  }

  // The kinds of values with no JSON meaning (`sizes` of tag 8), named in the Rust reader.
  const FUNCTION = 0
  const SYMBOL = 1
  const BIGINT = 2
  const TOO_DEEP = 3

  // The tape being written. The buffers are kept from one call to the next (the Rust reader
  // reads a tape before any other JavaScript runs); `encode` called again while it runs (from
  // a `toJSON`) writes its own.
  let tags = new Uint8Array(1024)
  let sizes = new Uint32Array(256)
  let nums = new Float64Array(256)
  let nt = 0
  let ns = 0
  let nn = 0
  let text = ''
  let busy = false
  // A key of the outermost object left out (an options object's `signal`).
  let skip

  // Room for `n` more of each.
  function room(n) {
    if (nt + n > tags.length) tags = grown(tags, nt + n)
    if (ns + n > sizes.length) sizes = grown(sizes, ns + n)
    if (nn + n > nums.length) nums = grown(nums, nn + n)
  }

  function grown(array, needed) {
    const next = new array.constructor(Math.max(needed, array.length * 2))
    next.set(array)
    return next
  }

  // Writes `v`, reached by `key` (a property name or an array index, for `toJSON`), `depth`
  // containers deep.
  function write(v, key, depth) {
    room(2)
    switch (typeof v) {
      case 'number':
        tags[nt++] = Number.isFinite(v) ? 0 : 7
        nums[nn++] = v
        return
      case 'string':
        tags[nt++] = 1
        sizes[ns++] = v.length
        text += v
        return
      case 'boolean':
        tags[nt++] = v ? 4 : 5
        return
      case 'object':
        if (v === null) {
          tags[nt++] = 6
        } else if (typeof v.toJSON === 'function') {
          plain(v.toJSON(String(key)), depth)
        } else {
          plain(v, depth)
        }
        return
      case 'undefined':
        tags[nt++] = 6
        return
      case 'function':
        meaningless(FUNCTION)
        return
      case 'symbol':
        meaningless(SYMBOL)
        return
      default:
        meaningless(BIGINT)
    }
  }

  function meaningless(kind) {
    room(1)
    tags[nt++] = 8
    sizes[ns++] = kind
  }

  // Writes `v` after `toJSON`: boxed primitives unwrapped, then as any value.
  function plain(v, depth) {
    if (typeof v !== 'object' || v === null) {
      // `toJSON` returned a primitive (or undefined, written as null).
      write(v, '', depth)
      return
    }
    if (
      v.constructor !== Object &&
      (v instanceof Number || v instanceof String || v instanceof Boolean)
    ) {
      write(v.valueOf(), '', depth)
      return
    }
    if (depth >= MAX_DEPTH) {
      meaningless(TOO_DEEP)
      return
    }
    room(1)
    if (Array.isArray(v)) {
      const len = v.length
      tags[nt++] = 3
      sizes[ns++] = len
      for (let i = 0; i < len; i++) write(v[i], i, depth + 1)
      return
    }
    const keys = Object.keys(v)
    tags[nt++] = 2
    const at = ns++
    let count = 0
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      const item = v[k]
      if (item === undefined || (depth === 0 && k === skip)) continue
      room(1)
      tags[nt++] = 1
      sizes[ns++] = k.length
      text += k
      write(item, k, depth + 1)
      count++
    }
    sizes[at] = count
  }

  // The tape of `v` (views of the kept buffers), or undefined for undefined; `leaveOut`: a key
  // of `v` itself not written.
  function encode(v, leaveOut) {
    if (v === undefined) return undefined
    if (busy) return encodeAside(v, leaveOut)
    busy = true
    try {
      nt = ns = nn = 0
      text = ''
      skip = leaveOut
      write(v, '', 0)
      return [tags.subarray(0, nt), sizes.subarray(0, ns), nums.subarray(0, nn), text]
    } finally {
      busy = false
    }
  }

  // `encode` while another runs: the outer tape is set aside, and restored afterwards.
  function encodeAside(v, leaveOut) {
    const outer = [tags, sizes, nums, nt, ns, nn, text, skip]
    tags = new Uint8Array(1024)
    sizes = new Uint32Array(256)
    nums = new Float64Array(256)
    busy = false
    try {
      return encode(v, leaveOut)
    } finally {
      ;[tags, sizes, nums, nt, ns, nn, text, skip] = outer
      busy = true
    }
  }

  return { decode, boxes, encode }
})()
