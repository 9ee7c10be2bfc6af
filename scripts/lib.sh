# Shared by demo.sh and test-all.sh: install what the machine lacks.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# FFmpeg (5.1 from Debian) for the workers; Chromium for the browser playback tests.
ensure_apt_packages() {
  local missing=()
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  if [ "${1:-}" = "--with-browser" ]; then command -v chromium >/dev/null || missing+=(chromium); fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} from Debian"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# npm install, once more on a registry hiccup (npm ci rejects lockfiles written on this registry).
ensure_node_modules() {
  npm install --no-audit --no-fund || npm install --no-audit --no-fund
}
