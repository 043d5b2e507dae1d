#!/usr/bin/env python3
"""Benchmark of the Python binding: host objects, columnar output and JSON Lines exchange.

Host objects, each against a baseline written in Python and timed in the same run:

* ``interpolate()`` of a 2-keyframe linear sequence spanning 10,000 / 50,000 / 1,000,000
  frames, against a plain Python loop that computes and builds the same dicts. Target: <= 0.5x.
* ``read_jsonl`` of 100,000 annotation records (5 keyframes each) into dicts, against
  ``json.loads`` of the same lines. Target: <= 1.2x.
* ``Sequence(dict)`` of a 1,001-keyframe sequence, against ``json.loads`` of its JSON text.
  Target: <= 2x.

Times ``Sequence.to_numpy()`` on a 2-keyframe linear sequence spanning 1,000,000 frames
against the floor of any columnar output: allocating the same two arrays with ``numpy.empty``
and touching every page (``fill(0)``). Target: to_numpy <= 1.5x that floor.

Then writes a synthetic FOVEA dataset (100,000 type annotations x 5 keyframes, keyframes 10
frames apart, with its ontology and video lines) to a temporary folder and times
``export_jsonl`` in both modes and ``preview_import`` of it: seconds, MB/s and the process's
peak RSS so far (``resource.getrusage``; streaming work should not raise it).

Run against a release build (``pip install ./python`` builds one):

    python benches/python_bench.py [--frames N] [--runs R] [--annotations N] [--skip-numpy]
                                   [--only objects]
"""

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time

import numpy as np

import fovea


def median_time(fn, runs: int) -> float:
    fn()  # warm-up (compiles and caches the sequence; faults in the allocator's pages)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        del result
    return statistics.median(times)


def numpy_bench(n: int, runs: int) -> None:
    seq = fovea.Sequence(
        {
            "boxes": [
                {"x": 0, "y": 0, "width": 100, "height": 80, "frameNumber": 0},
                {"x": 1920, "y": 1080, "width": 200, "height": 160, "frameNumber": n - 1},
            ]
        }
    )
    frames, boxes = seq.to_numpy()
    assert frames.shape == (n,) and boxes.shape == (n, 4)
    assert frames.dtype == np.int64 and boxes.dtype == np.float64

    def floor():
        f = np.empty(n, dtype=np.int64)
        b = np.empty((n, 4), dtype=np.float64)
        f.fill(0)
        b.fill(0)
        return f, b

    t_numpy = median_time(seq.to_numpy, runs)
    t_floor = median_time(floor, runs)
    t_dicts = median_time(seq.interpolate, 3)

    print(f"\nfovea {fovea.__version__}: {n:,} frames, median of {runs} runs")
    print(f"  seq.to_numpy()                 {t_numpy * 1e3:9.2f} ms")
    print(f"  numpy.empty x2 + fill(0)       {t_floor * 1e3:9.2f} ms")
    print(f"  ratio                          {t_numpy / t_floor:9.2f} x   (target <= 1.5 x)")
    print(
        f"  seq.interpolate() (dicts, 3 runs) {t_dicts * 1e3:6.0f} ms  ({t_dicts / n * 1e9:.0f} ns/frame)"
    )


def interleaved(a, b, runs: int):
    """Medians of `a` and `b` timed in turn (A B A B ...) after one warm-up of each."""
    a(), b()
    ta, tb = [], []
    for _ in range(runs):
        for fn, ts in ((a, ta), (b, tb)):
            t0 = time.perf_counter()
            result = fn()
            ts.append(time.perf_counter() - t0)
            del result
    return statistics.median(ta), statistics.median(tb)


def report(name: str, ours: float, base: float, base_name: str, target: float) -> None:
    ratio = ours / base
    verdict = "ok" if ratio <= target else "ABOVE TARGET"
    print(
        f"  {name:<38} {ours * 1e3:9.2f} ms   {base_name:<28} {base * 1e3:9.2f} ms   "
        f"ratio {ratio:5.2f} (target <= {target}) {verdict}"
    )


def objects_bench(annotations: int) -> None:
    print(
        f"\nHost objects (fovea {fovea.__version__}, Python {sys.version.split()[0]}): "
        "medians of interleaved runs"
    )
    for n in (10_000, 50_000, 1_000_000):
        seq = fovea.Sequence(
            {
                "boxes": [
                    {"x": 0, "y": 0, "width": 100, "height": 80, "frameNumber": 0},
                    {"x": 1920.5, "y": 1080.25, "width": 200, "height": 160, "frameNumber": n - 1},
                ]
            }
        )
        start, end, span = (0.0, 0.0, 100.0, 80.0), (1920.5, 1080.25, 200.0, 160.0), n - 1

        # loop() is only called within this iteration, so B023 (closure over a loop variable)
        # does not apply.
        def loop():
            (x0, y0, w0, h0), (x1, y1, w1, h1) = start, end  # noqa: B023
            dx, dy, dw, dh = x1 - x0, y1 - y0, w1 - w0, h1 - h0
            out = [
                {"x": x0, "y": y0, "width": w0, "height": h0, "frameNumber": 0, "isKeyframe": True}
            ]
            append = out.append
            for f in range(1, span):  # noqa: B023
                t = f / span  # noqa: B023
                append(
                    {
                        "x": x0 + dx * t,
                        "y": y0 + dy * t,
                        "width": w0 + dw * t,
                        "height": h0 + dh * t,
                        "frameNumber": f,
                        "isKeyframe": False,
                    }
                )
            out.append(
                {
                    "x": x1,
                    "y": y1,
                    "width": w1,
                    "height": h1,
                    "frameNumber": span,  # noqa: B023
                    "isKeyframe": True,
                }
            )
            return out

        got, want = seq.interpolate(), loop()
        assert len(got) == len(want) and got[n // 2]["frameNumber"] == n // 2
        assert abs(got[n // 2]["x"] - want[n // 2]["x"]) < 1e-9
        runs = 5 if n >= 1_000_000 else 21
        ours, base = interleaved(seq.interpolate, loop, runs)
        report(f"interpolate(), {n:,} frames", ours, base, "Python loop, same dicts", 0.5)

    with tempfile.TemporaryDirectory(prefix="fovea-bench-") as tmp:
        source = os.path.join(tmp, "records.jsonl")
        write_dataset(source, annotations, 5, 30)

        def ours():
            return list(fovea.read_jsonl(source))

        def base():
            with open(source, encoding="utf-8") as f:
                return [json.loads(line) for line in f]

        assert len(ours()) == len(base())
        t_ours, t_base = interleaved(ours, base, 5)
        report(
            f"read_jsonl, {annotations:,} records", t_ours, t_base, "json.loads of each line", 1.2
        )

    boxes = [
        {
            "x": i * 1.5,
            "y": i * 0.25 + 3,
            "width": 100 + i % 7,
            "height": 50.5,
            "frameNumber": i * 10,
            "isKeyframe": True,
            "confidence": 0.75,
        }
        for i in range(1001)
    ]
    data = {
        "boxes": boxes,
        "interpolationSegments": [
            {"startFrame": i * 10, "endFrame": i * 10 + 10, "type": "linear"} for i in range(1000)
        ],
        "visibilityRanges": [{"startFrame": 0, "endFrame": 10_000, "visible": True}],
    }
    text = json.dumps(data)
    assert fovea.Sequence(data) == fovea.Sequence(text)
    ours, base = interleaved(lambda: fovea.Sequence(data), lambda: json.loads(text), 41)
    report("Sequence(dict), 1,001 keyframes", ours, base, "json.loads of its text", 2.0)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def write_dataset(path: str, annotations: int, keyframes: int, spacing: int) -> None:
    """A FOVEA-shaped dataset: an ontology line, type annotations, then their videos."""
    videos = max(1, annotations // 1000)
    with open(path, "w", encoding="utf-8") as f:
        ontology = {
            "personas": [
                {"id": "p-1", "name": "Analyst", "role": "analyst", "informationNeed": "ships"}
            ],
            "personaOntologies": [
                {"id": "o-1", "personaId": "p-1", "entities": [{"id": "ship", "name": "Ship"}]}
            ],
        }
        f.write(json.dumps({"type": "ontology", "data": ontology}) + "\n")
        for i in range(annotations):
            boxes = [
                {
                    "x": 10.0 + k * 3 + i % 97,
                    "y": 20.0 + k * 2,
                    "width": 100.0 + k,
                    "height": 80.0 + k,
                    "frameNumber": k * spacing,
                    "isKeyframe": True,
                    "confidence": 0.9,
                }
                for k in range(keyframes)
            ]
            last = (keyframes - 1) * spacing
            sequence = {
                "boxes": boxes,
                "interpolationSegments": [
                    {"startFrame": k * spacing, "endFrame": (k + 1) * spacing, "type": "linear"}
                    for k in range(keyframes - 1)
                ],
                "visibilityRanges": [{"startFrame": 0, "endFrame": last, "visible": True}],
                "trackId": f"track-{i}",
                "trackingSource": "manual",
                "totalFrames": last + 1,
                "keyframeCount": keyframes,
                "interpolatedFrameCount": last + 1 - keyframes,
            }
            annotation = {
                "id": f"ann-{i:06d}",
                "videoId": f"vid-{i % videos}",
                "annotationType": "type",
                "personaId": "p-1",
                "typeCategory": "entity",
                "typeId": "ship",
                "boundingBoxSequence": sequence,
                "createdAt": "2026-01-01T00:00:00.000Z",
            }
            f.write(
                json.dumps({"type": "annotation", "data": annotation}, separators=(",", ":")) + "\n"
            )
        for v in range(videos):
            video = {
                "id": f"vid-{v}",
                "title": f"Video {v}",
                "width": 1920,
                "height": 1080,
                "fps": 30,
            }
            f.write(json.dumps({"type": "video", "data": video}) + "\n")


def exchange_bench(annotations: int, keyframes: int, spacing: int) -> None:
    with tempfile.TemporaryDirectory(prefix="fovea-bench-") as tmp:
        source = os.path.join(tmp, "source.jsonl")
        t0 = time.perf_counter()
        write_dataset(source, annotations, keyframes, spacing)
        t_gen = time.perf_counter() - t0
        size = os.path.getsize(source)
        mb = 1e6
        print(
            f"JSON Lines: {annotations:,} annotations x {keyframes} keyframes ({spacing} frames apart), "
            f"{size / mb:.1f} MB source (generated in {t_gen:.1f} s); peak RSS {peak_rss_mb():.0f} MB"
        )
        print(
            f"  {'':34} {'seconds':>8} {'in MB/s':>8} {'out MB':>8} {'out MB/s':>9} {'peak RSS':>9}"
        )
        for mode in ("keyframes", "interpolated"):
            out = os.path.join(tmp, f"{mode}.jsonl")
            t0 = time.perf_counter()
            stats = fovea.export_jsonl(source, out, mode=mode)
            dt = time.perf_counter() - t0
            assert stats["annotationCount"] == annotations and not stats["readErrors"]
            boxes = stats["keyframeCount"] + stats["interpolatedFrameCount"]
            assert boxes == annotations * (
                keyframes if mode == "keyframes" else (keyframes - 1) * spacing + 1
            )
            print(
                f"  export_jsonl(mode={mode!r}) {'':<{12 - len(mode)}}{dt:8.2f} {size / mb / dt:8.0f} "
                f"{stats['bytes'] / mb:8.0f} {stats['bytes'] / mb / dt:9.0f} {peak_rss_mb():7.0f} MB"
                f"   ({boxes:,} boxes)"
            )
            os.remove(out)
        t0 = time.perf_counter()
        preview = fovea.preview_import(source)
        dt = time.perf_counter() - t0
        assert preview["counts"]["annotations"] == annotations
        print(
            f"  preview_import (empty store)       {dt:8.2f} {size / mb / dt:8.0f} {'':8} {'':9} {peak_rss_mb():7.0f} MB"
            f"   ({len(preview['conflicts'])} conflicts, {len(preview['issues'])} issues)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--annotations", type=int, default=100_000)
    parser.add_argument("--keyframes", type=int, default=5)
    parser.add_argument("--spacing", type=int, default=10, help="frames between keyframes")
    parser.add_argument(
        "--skip-numpy", action="store_true", help="run only the JSON Lines benchmark"
    )
    parser.add_argument("--only", choices=["objects"], help="run only the host-object benchmark")
    args = parser.parse_args()
    if args.only == "objects":
        objects_bench(args.annotations)
        return
    # The JSON Lines benchmark first: peak RSS is the process's, and 1M interpolated dicts
    # would dominate it.
    exchange_bench(args.annotations, args.keyframes, args.spacing)
    objects_bench(args.annotations)
    if not args.skip_numpy:
        numpy_bench(args.frames, max(args.runs, 15))


if __name__ == "__main__":
    main()
