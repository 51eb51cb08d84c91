#!/usr/bin/env bash
# Prints the heap's targets, measured: peak RSS (cold loads, no module cache) of the
# reference's sire.sire, prelude.sire and lib_http.sire and of booting its demo_cog_notepad
# (these need PALLAS_REFERENCE, a checkout of the reference), the memory of 10,000
# definitions against 5,000 and the load time of 20,000 against 5,000, and, with
# --against REV, the allocation-heavy workloads of sire/bench.sire (primes, nrev,
# tabInserts) timed against a build of REV in the same run.
#
#   scripts/memory-targets.sh [--against REV]
set -euo pipefail
cd "$(dirname "$0")/.."
against=""
if [[ "${1:-}" == "--against" ]]; then against="${2:?--against needs a revision}"; fi

cargo build --release --quiet
bin="$PWD/target/release/pallas"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# peak KB and seconds of a command, as "KB SECONDS"
measure() { /usr/bin/time -f "%M %e" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
  echo "failed: $*" >&2; tail -5 "$work/err" >&2; return 1; }; cat "$work/time"; }

verdict() { # name kb limit_mb
  local mb=$(( $2 / 1024 ))
  if (( mb <= $3 )); then echo "  $1: $mb MB peak (target <= $3 MB): ok"
  else echo "  $1: $mb MB peak (target <= $3 MB): OVER"; fi
}

echo "peak memory, cold loads"
if [[ -n "${PALLAS_REFERENCE:-}" && -d "$PALLAS_REFERENCE/sire" ]]; then
  ref="$PALLAS_REFERENCE/sire"
  for t in "sire.sire 60" "prelude.sire 100" "lib_http.sire 250"; do
    set -- $t
    r=$(cd "$ref" && measure "$bin" --no-cache sire --no-repl "$1")
    verdict "$1 (${r#* } s)" "${r% *}" "$2"
  done
  r=$(cd "$ref" && measure "$bin" --no-cache boot "$work/notepad" demo_cog_notepad.sire)
  verdict "boot demo_cog_notepad (${r#* } s)" "${r% *}" 250
else
  echo "  *** SKIPPED the reference's files: set PALLAS_REFERENCE to a checkout of the reference"
fi

echo "definitions (one per block, each using the one before; scripts/gen-defs.py --chain)"
cp sire/*.sire "$work/"
for n in 5000 10000 20000; do
  python3 scripts/gen-defs.py "$n" --chain > "$work/defs$n.sire"
done
# peak KB and CPU seconds (steadier than wall time on a busy machine)
cpu() { /usr/bin/time -f "%M %U" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
  echo "failed: $*" >&2; tail -5 "$work/err" >&2; return 1; }; cat "$work/time"; }
r5=$(cd "$work" && cpu "$bin" --no-cache sire --no-repl defs5000.sire)
r10=$(cd "$work" && cpu "$bin" --no-cache sire --no-repl defs10000.sire)
r20=$(cd "$work" && cpu "$bin" --no-cache sire --no-repl defs20000.sire)
ratio=$(echo "scale=2; ${r10% *} / ${r5% *}" | bc)
echo "  5,000: $(( ${r5% *} / 1024 )) MB, ${r5#* } s CPU; 10,000: $(( ${r10% *} / 1024 )) MB, ${r10#* } s;" \
     "20,000: $(( ${r20% *} / 1024 )) MB, ${r20#* } s"
echo "  memory 10,000 / 5,000: ${ratio}x (target <= 2.2x): $(echo "$ratio <= 2.2" | bc | sed 's/1/ok/;s/0/OVER/')"
tratio=$(echo "scale=2; ${r20#* } / ${r5#* }" | bc)
echo "  CPU time 20,000 / 5,000: ${tratio}x (linear is 4x; target <= 6x): $(echo "$tratio <= 6" | bc | sed 's/1/ok/;s/0/OVER/')"

if [[ -n "$against" ]]; then
  echo "allocation-heavy workloads, interpreter (jit off), against $against"
  git worktree add --quiet --detach "$work/old" "$against"
  (cd "$work/old" && cargo build --release --quiet)
  old="$work/old/target/release/pallas"
  # the best `jit off` time of `pallas bench` (5 runs), in ms
  best() { "$1" --jit off bench --runs 5 --sire sire/bench.sire "$2" 2>&1 | awk '/^jit off/ {
    t = $3; u = t; gsub(/[0-9.]/, "", u); sub(/[^0-9.].*/, "", t);
    if (u == "s") t *= 1000; else if (u == "µs") t /= 1000; else if (u == "ns") t /= 1e6;
    print t }'; }
  peak() { echo "$2" | /usr/bin/time -f %M -o "$work/time" "$1" --jit off sire --no-cache \
    sire/bench.sire >/dev/null 2>&1; echo $(( $(cat "$work/time") / 1024 )); }
  for w in "primes 3000" "nrev 400" "tabInserts 1000" "tabInserts 4000"; do
    # three rounds, old and new interleaved, the best of each (machines are noisy)
    o=""; n=""
    for _ in 1 2 3; do
      x=$(best "$old" "$w"); y=$(best "$bin" "$w")
      o=$(echo "$o $x" | tr ' ' '\n' | grep . | sort -g | head -1)
      n=$(echo "$n $y" | tr ' ' '\n' | grep . | sort -g | head -1)
    done
    r=$(echo "scale=2; $o / $n" | bc)
    echo "  $w: $against ${o} ms ($(peak "$old" "$w") MB), now ${n} ms ($(peak "$bin" "$w") MB):" \
         "${r}x (target >= 1.5x): $(echo "$r >= 1.5" | bc | sed 's/1/ok/;s/0/UNDER/')"
  done
  git worktree remove --force "$work/old"
fi
