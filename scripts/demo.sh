#!/usr/bin/env bash
# One command on a fresh machine: install, build, start the local stack, transcode the bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
export NX_DAEMON=false NX_NO_CLOUD=true

ensure_apt_packages
ensure_node_modules
npx nx run-many -t build --parallel=2
npx airlock up
npx airlock transcode "${1:-samples/sample-1080p.mp4}"
echo "stop the stack with: npx airlock down"
