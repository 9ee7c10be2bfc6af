#!/usr/bin/env bash
# Smoke runs of the benchmarks (each well under 2 minutes), so CI keeps them working.
# Needs Postgres, Redis, FFmpeg and a build; each bench starts and removes its own isolated stack.
set -euo pipefail
cd "$(dirname "$0")/.."

node bench/ladder.mjs --smoke
node bench/first-playable.mjs --smoke
node bench/memory.mjs --smoke
node bench/control-plane.mjs --smoke
node bench/fairness.mjs --smoke
node bench/scale-model.mjs --smoke
