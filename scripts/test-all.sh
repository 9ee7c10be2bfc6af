#!/usr/bin/env bash
# Every check: lint (zero warnings), type-check via build, unit + integration tests per project,
# then the end-to-end suite (five real services, headless Chromium). On a fresh machine it first
# installs what the tests need (FFmpeg and Chromium from Debian, node_modules), as the demo does.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
export NX_DAEMON=false NX_NO_CLOUD=true

ensure_apt_packages --with-browser
ensure_node_modules

npx prisma generate >/dev/null
npx nx run-many -t lint --parallel=2 -- --max-warnings=0
node scripts/validate-deploy.mjs
npx nx run-many -t build --parallel=2
npx nx run-many -t test --parallel=1 --skip-nx-cache --exclude=e2e
npx nx run e2e:test --skip-nx-cache
bash scripts/bench-smoke.sh
