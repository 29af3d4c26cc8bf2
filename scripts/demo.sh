#!/usr/bin/env bash
# Start the demo: migrate, load the library and the simulated clinic (once), run a task worker and the server.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8000}"
export EMOTIPAL_SITE_URL="${EMOTIPAL_SITE_URL:-http://127.0.0.1:${PORT}}"

"$BIN/emotipal" migrate --noinput -v 0
"$BIN/emotipal" load_demo

"$BIN/emotipal" worker > .local/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  EmotiPal demo is running at  http://127.0.0.1:${PORT}/
  (task worker log: .local/worker.log; e-mails are printed there and in this terminal)

  Demo logins (password for all: demo-pass-2026)
    therapist     therapist@demo.emotipal.invalid
    client        client@demo.emotipal.invalid
    clinic admin  admin@demo.emotipal.invalid
    researcher    researcher@demo.emotipal.invalid  (study "demo-study")
    trainee       trainee@demo.emotipal.invalid  (training cases only)
    supervisor    supervisor@demo.emotipal.invalid
    support       coach@demo.emotipal.invalid  (the demo client's support person)

  Stop with Ctrl-C.

MSG
"$BIN/emotipal" serve --port "$PORT"
