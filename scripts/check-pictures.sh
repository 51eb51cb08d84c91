#!/usr/bin/env bash
# Opens the pictures pallas draws in a real (headless) browser and checks what it rendered:
# the flamegraphs of `pallas prof --svg` (their frames carry law names, and their search script
# runs: a search for a law name matches) and the page of `pallas bench --html` (one bar per
# mode and figure, and the table). The browser may not reach the network, so this also shows
# the files are self-contained. Screenshots are left in OUTDIR for a person to look at.
#
#   scripts/check-pictures.sh [OUTDIR]      (run from the repository root)
#
# Needs Chromium (Debian: `apt-get install chromium`); set CHROMIUM to use another binary.
# `cargo test` checks the same files structurally without a browser (tests/cli_pictures.rs).
set -euo pipefail

out=${1:-$(mktemp -d -t pallas-pictures.XXXXXX)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
    for b in chromium chromium-browser google-chrome; do
        if command -v "$b" >/dev/null; then browser=$b; break; fi
    done
fi
if [ -z "$browser" ]; then
    echo "check-pictures: no Chromium found: install it (Debian: apt-get install chromium)" \
        "or set CHROMIUM to its path" >&2
    exit 2
fi

cargo build --release --quiet
pallas=target/release/pallas

# One headless browser run on a file: the remaining arguments say what to produce
# (--screenshot=FILE or --dump-dom). Host names resolve to nothing, so the file has to
# render with what it holds.
browse() {
    local url=$1
    shift
    local profile
    profile=$(mktemp -d)
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$profile" \
        --window-size=1200,800 "$@" "$url" 2>"$out/browser.log"
    rm -rf "$profile"
}

failed=0
check() {
    if eval "$2"; then
        echo "  ok: $1"
    else
        echo "  FAILED: $1"
        failed=1
    fi
}

# $1 picture file, $2 screenshot to write
screenshot() {
    browse "file://$1" --screenshot="$2" >/dev/null
    check "screenshot $2 taken" "[ \$(stat -c %s '$2') -gt 5000 ]"
}

# A flamegraph: $1 name, $2 a law name (prefix) its frames must show, then pallas's arguments.
flamegraph() {
    local name=$1 law=$2
    shift 2
    local svg=$out/$name.svg
    echo "flamegraph $name: pallas $* --svg $svg"
    "$pallas" "$@" --svg "$svg" >"$out/$name.table.txt"
    screenshot "$svg" "$out/$name.png"
    # `?s=` makes the flamegraph's own script search for the law once it has loaded.
    browse "file://$svg?s=$law" --dump-dom >"$out/$name.dom.html"
    local dom=$out/$name.dom.html
    check "$name: the browser built the frames" "grep -q 'id=\"frames\"' '$dom'"
    check "$name: a frame is titled $law..." "grep -q '<title>$law' '$dom'"
    check "$name: the search script ran and matched $law" \
        "grep -Eq 'id=\"matched\"[^>]*>Matched: [0-9.]+%' '$dom'"
}

flamegraph fib-jit 'fib@' prof sire/bench.sire 'fib 20'
check "fib-jit: machine-code time is drawn" "grep -q '<title>\[machine code\]' '$out/fib-jit.dom.html'"
flamegraph fib-interpreted 'fib@' --jit off --profile-interval-us 100 \
    prof sire/bench.sire 'fib 25'
flamegraph nrev-interpreted 'listCase@' --jit off --profile-interval-us 100 \
    prof sire/bench.sire 'nrev 300'

page=$out/bench.html
echo "bench page: pallas bench --sire sire/bench.sire 'fib 20' --with-oracle --html $page"
"$pallas" bench --sire sire/bench.sire 'fib 20' --with-oracle --runs 3 --json \
    --html "$page" >"$out/bench.json"
screenshot "$page" "$out/bench.png"
browse "file://$page" --dump-dom >"$out/bench.dom.html"
dom=$out/bench.dom.html
modes=$(grep -c '"mode":' "$out/bench.json")
check "bench: the chart is drawn" "grep -q '<svg id=\"chart\"' '$dom'"
check "bench: a fastest-run bar per mode ($modes)" "[ \$(grep -o 'class=\"bar min\"' '$dom' | wc -l) -eq $modes ]"
check "bench: a median-run bar per mode ($modes)" "[ \$(grep -o 'class=\"bar median\"' '$dom' | wc -l) -eq $modes ]"
for m in 'jit off' 'jit on' 'oracle'; do
    check "bench: a bar for $m" "grep -q 'data-mode=\"$m\"' '$dom'"
done
check "bench: the table has a row per mode" \
    "[ \$(grep -o '<tr>' '$dom' | wc -l) -eq $((modes + 1)) ]"

echo "screenshots: $out/fib-jit.png $out/fib-interpreted.png $out/nrev-interpreted.png $out/bench.png"
if [ "$failed" -ne 0 ]; then
    echo "check-pictures: some checks FAILED (browser messages in $out/browser.log)" >&2
    exit 1
fi
echo "check-pictures: all checks passed"
