#!/usr/bin/env bash
# The audit trail's benchmark (issue 14), `make bench-trail`: `sagefence audit verify` over a
# signed trail of RECORDS records (default 1,000,000) beside the floor (read, SHA-256 and inflate
# every batch, nothing else), with the verifier's peak memory; and the shipper's cost per batch
# on the emulator at 10 and at 10,000 prior batches. Optimised builds (profile `bench-sweep`) of
# the CLI and of the example `bench_trail` of sagefence-tests.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo="${CARGO:-cargo}"
records="${1:-1000000}"

make -s venv
"$cargo" build --quiet --profile bench-sweep --locked \
  -p sagefence-tests --example bench_trail -p sagefence-cli --bin sagefence
bench="$target/bench-sweep/examples/bench_trail"
work="$target/bench-sweep/trail-run"
mkdir -p "$work"

"$bench" generate "$work/trail" "$records"
floor=$("$bench" floor "$work/trail")
echo "$floor"
/usr/bin/time -f '%e %M' -o "$work/time" "$target/bench-sweep/sagefence" audit verify \
  --dir "$work/trail" --prefix audit/ --public-key "$work/trail.pub" > "$work/report.json"
read -r seconds peak_kib < "$work/time"
floor_rate=$(echo "$floor" | awk '{print $(NF-1)}')
awk -v r="$records" -v s="$seconds" -v f="$floor_rate" -v m="$peak_kib" 'BEGIN {
  printf "verify: %d records in %.2f s, %.0f records/s, %.2f of the floor; peak RSS %.1f MiB\n", r, s, r / s, (r / s) / f, m / 1024 }'

PATH="$root/.venv/bin:$PATH" "$bench" shipper 10 10000
