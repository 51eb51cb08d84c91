#!/usr/bin/env bash
# Counts the machine instructions the bytecode interpreter spends per unit of work, with
# valgrind (a deterministic count, unlike timings on a noisy machine). Each line runs a
# workload of sire/bench.sire at two sizes under `--jit off` and divides the difference by
# the units of work between them, so loading the file and printing cancel out.
#
#   scripts/interp-instructions.sh        # needs valgrind and a release build
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
bin=target/release/pallas
[ -x "$bin" ] || cargo build --release

# Instructions (valgrind's I refs) for evaluating one Sire expression in bench.sire's scope.
count() {
    echo "$1" | valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$bin" --jit off sire sire/bench.sire 2>&1 >/dev/null |
        awk '/I *refs/ { gsub(",", "", $4); print $4 }'
}

# per LABEL SMALL LARGE UNITS: instructions per unit between the two expressions.
per() {
    local a b
    a=$(count "$2")
    b=$(count "$3")
    printf '%-28s %8d instructions\n' "$1" $(((b - a) / $4))
}

count 0 >/dev/null # fill the module cache first
# fib n makes fib'(n) = fib'(n-1) + fib'(n-2) + 1 calls: 8361 - 1973 = 6388 more for 18 than 15.
per "per fib call" 'fib 15' 'fib 18' 6388
per "per countDown iteration" 'countDown 100000' 'countDown 200000' 100000
per "per triangle iteration" 'triangle 0 100000' 'triangle 0 200000' 100000
per "primes 600 - primes 300" 'primes 300' 'primes 600' 1
per "nrev 200 - nrev 100" 'nrev 100' 'nrev 200' 1
