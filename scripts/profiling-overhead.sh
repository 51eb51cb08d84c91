#!/bin/sh
# What the profiling hooks cost when profiling is off: builds pallas with and without them
# (the `no-profiler` feature), runs the same `pallas bench` workloads with both (interpreter
# and JIT) and prints the ratio of median times, hooks / no hooks. Run from the repository
# root; it takes a few minutes (two release builds).
set -eu
cargo build --release --quiet
cargo build --release --quiet --features no-profiler --target-dir target/no-profiler
with=target/release/pallas
without=target/no-profiler/release/pallas
for expr in 'fib 25' 'countDown 3000000' 'primes 2000'; do
    a=$($with bench --sire sire/bench.sire "$expr" --runs 9 --json)
    b=$($without bench --sire sire/bench.sire "$expr" --runs 9 --json)
    python3 - "$expr" "$a" "$b" <<'PY'
import json, sys
expr, a, b = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
for ma, mb in zip(a["modes"], b["modes"]):
    x, y = ma["median_s"], mb["median_s"]
    print(f"{expr:<20} {ma['mode']:<8} hooks {x*1e3:9.3f} ms   no hooks {y*1e3:9.3f} ms   ratio {x/y:.3f}")
PY
done
