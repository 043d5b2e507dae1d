//! Criterion benchmarks of fovea live in `benches/benches/`; binding benchmark scripts beside
//! them (`python_bench.py`, `node_bench.js`). This library is empty on purpose.
