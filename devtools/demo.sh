#!/usr/bin/env bash
# `make demo`: the app on http://127.0.0.1:$PORT (5000) with lived-in demo data.
#
# Without a Stripe key of your own, the local Stripe emulator (TEST MODE) runs on
# $STRIPE_EMULATOR_PORT (12111) and the demo's contracts are paid, refunded and paid out through
# it. The emulator keeps its state in memory only, so the demo database is rebuilt at every start
# to match it: instance/demo.sqlite3 is deleted and loaded again. Nothing else is touched (the
# app's own default database is instance/delegate.sqlite3).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
FLASK="$BIN/flask --app wsgi"
PORT=${PORT:-5000}
EMULATOR_PORT=${STRIPE_EMULATOR_PORT:-12111}

mkdir -p instance
DEMO_DB=instance/demo.sqlite3
export DATABASE_URL="sqlite:///$PWD/$DEMO_DB"
export DEMO_MODE=1
export BASE_URL="http://127.0.0.1:${PORT}"

port_free() {
  # SO_REUSEADDR as the servers set it, so a port a stopped demo just left counts as free.
  "$BIN/python" -c "import socket as so, sys; s = so.socket(); \
s.setsockopt(so.SOL_SOCKET, so.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1])))" \
    "$1" 2>/dev/null
}
port_free "$PORT" || { echo "Port $PORT is in use: choose another with PORT=..." >&2; exit 1; }

if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  port_free "$EMULATOR_PORT" || {
    echo "Port $EMULATOR_PORT is in use: choose another with STRIPE_EMULATOR_PORT=..." >&2
    exit 1
  }
  export STRIPE_SECRET_KEY="sk_test_delegate_demo"
  export STRIPE_WEBHOOK_SECRET="whsec_demo_$($BIN/python -c 'import secrets; print(secrets.token_hex(16))')"
  export STRIPE_API_BASE="http://127.0.0.1:${EMULATOR_PORT}"
  # No webhook URL yet: while the demo loads, the loader applies the emulator's events itself.
  $BIN/python -m devtools.stripe_emulator --port "$EMULATOR_PORT" \
    --webhook-secret "$STRIPE_WEBHOOK_SECRET" &
  EMULATOR_PID=$!
  trap 'kill $EMULATOR_PID 2>/dev/null || true' EXIT INT TERM
  for _ in $(seq 50); do
    $BIN/python -c "import urllib.request as u; u.urlopen('$STRIPE_API_BASE/_emulator/health', timeout=1)" \
      2>/dev/null && break
    sleep 0.2
  done
fi

rm -f "$DEMO_DB" "$DEMO_DB-journal" "$DEMO_DB-wal" "$DEMO_DB-shm"
echo "Building the demo in $DEMO_DB (rebuilt at every start; the Stripe emulator forgets on exit)"
$FLASK db upgrade
$FLASK demo load
$FLASK matches rebuild  # Match rows for the demo's tasks and assistants (sends no email)
$FLASK plan market rebuild  # who fits each planner catalogue item: the plan page shows their rates

if [ -n "${EMULATOR_PID:-}" ]; then
  # From now on Stripe's events reach the app as they would in production: by signed webhook.
  $BIN/python - "$STRIPE_API_BASE" "$BASE_URL/stripe/webhook" <<'PY'
import json, sys, urllib.request
body = json.dumps({"webhook_url": sys.argv[2]}).encode()
request = urllib.request.Request(sys.argv[1] + "/_emulator/config", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=5).close()
PY
  echo "Stripe emulator (TEST MODE) on $STRIPE_API_BASE; pay with card 4242 4242 4242 4242."
fi

echo "Delegate is starting on $BASE_URL  (owner1@demo.delegate.test / delegate-demo)"
$FLASK run --host 127.0.0.1 --port "$PORT"
