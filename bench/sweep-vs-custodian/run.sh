#!/usr/bin/env bash
# sagefence sweep beside Cloud Custodian and the emulator's floor, on one emulator with one
# data set (issue 6). `make bench-sweep` runs it; arguments go to bench.py (e.g.
# `--notebooks 100 --training-jobs 50 --models 20` for a quick run, `--check-targets`).
#
# Installs what it needs: the emulator venv (.venv, `make venv`), Cloud Custodian pinned in its
# own venv (.venv-c7n, `make venv-c7n`), and optimised builds (profile `bench-sweep`) of the
# sagefence CLI and of the floor (example `sweep_floor` of sagefence-tests).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo="${CARGO:-cargo}"

make -s venv venv-c7n
"$cargo" build --quiet --profile bench-sweep --locked \
  -p sagefence-tests --example sweep_floor -p sagefence-cli --bin sagefence

exec .venv/bin/python bench/sweep-vs-custodian/bench.py \
  --sagefence "$target/bench-sweep/sagefence" \
  --floor "$target/bench-sweep/examples/sweep_floor" \
  --custodian .venv-c7n/bin/custodian \
  --workdir "$target/bench-sweep/run" \
  "$@"
