#!/bin/sh
# Counts the instructions `annals rebuild --all` executes over the first EVENTS events (default 100000) of the
# benchmark's ontology history, under valgrind's callgrind. Unlike a time, the count does not move with this
# machine's noise, so two builds can be compared with one run each. Usage, from the repository:
#
#   tools/profile/count-instructions.sh [EVENTS] [KEEP_DIR]
#
# It builds the release binaries, writes the history with `annals-bench --write-history`, appends its first EVENTS
# lines to a fresh store with `annals append`, and rebuilds a copy of that store under callgrind, printing the
# total. Give KEEP_DIR to keep the store, the history and callgrind's output there (callgrind_annotate reads it).
# valgrind is installed with apt-get when it is missing. Exit codes: 0, 1 when a step fails, 64 for bad arguments.
set -eu

events=${1:-100000}
case $events in
'' | *[!0-9]*)
    echo "usage: $0 [EVENTS] [KEEP_DIR]" >&2
    exit 64
    ;;
esac
if [ "$events" -lt 1 ] || [ "$events" -gt 1000000 ]; then
    echo "$0: EVENTS must be 1 to 1000000, not $events" >&2
    exit 64
fi

if ! command -v valgrind >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get install -y valgrind >/dev/null
fi

swift build -c release --product annals >/dev/null
swift build -c release --product annals-bench >/dev/null
bin=$(swift build -c release --show-bin-path)

if [ -n "${2:-}" ]; then
    work=$2
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

"$bin/annals-bench" --write-history "$work/history.jsonl"
rm -rf "$work/store" "$work/rebuilt"
"$bin/annals" init --store "$work/store" >/dev/null
head -n "$events" "$work/history.jsonl" | "$bin/annals" append --store "$work/store" >/dev/null
cp -r "$work/store" "$work/rebuilt"

# valgrind cannot read the Swift toolchain's debug information: keep the symbols, drop the rest.
strip --strip-debug -o "$work/annals" "$bin/annals"
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
    "$work/annals" rebuild --all --store "$work/rebuilt" >/dev/null 2>"$work/valgrind.log"
total=$(sed -n 's/.*refs: *//p' "$work/valgrind.log" | tr -d ',')
echo "annals rebuild --all over $events events: $total instructions ($((total / events)) per event)"
