#!/usr/bin/env python3
"""Benchmark of the Python binding's columnar output.

Times ``Sequence.to_numpy()`` on a 2-keyframe linear sequence spanning 1,000,000 frames
against the floor of any columnar output: allocating the same two arrays with ``numpy.empty``
and touching every page (``fill(0)``). Target: to_numpy <= 1.5x that floor.

Run against a release build (``pip install ./python`` builds one):

    python benches/python_bench.py [--frames N] [--runs R]
"""

import argparse
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    n, runs = args.frames, max(args.runs, 15)

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

    print(f"fovea {fovea.__version__}: {n:,} frames, median of {runs} runs")
    print(f"  seq.to_numpy()                 {t_numpy * 1e3:9.2f} ms")
    print(f"  numpy.empty x2 + fill(0)       {t_floor * 1e3:9.2f} ms")
    print(f"  ratio                          {t_numpy / t_floor:9.2f} x   (target <= 1.5 x)")
    print(f"  seq.interpolate() (dicts, 3 runs) {t_dicts * 1e3:6.0f} ms  ({t_dicts / n * 1e9:.0f} ns/frame)")


if __name__ == "__main__":
    main()
