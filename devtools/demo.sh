#!/usr/bin/env bash
# `make demo`: the app on http://127.0.0.1:5000 with demo data. Without a Stripe key of your own,
# the local Stripe emulator (TEST MODE) runs beside it so the payment journey works offline.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
FLASK="$BIN/flask --app wsgi"
PORT=${PORT:-5000}

$FLASK db upgrade
$FLASK demo load
$FLASK matches rebuild  # Match rows for the demo's tasks and assistants (sends no email)

if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  EMULATOR_PORT=${STRIPE_EMULATOR_PORT:-12111}
  export STRIPE_SECRET_KEY="sk_test_delegate_demo"
  export STRIPE_WEBHOOK_SECRET="whsec_demo_$($BIN/python -c 'import secrets; print(secrets.token_hex(16))')"
  export STRIPE_API_BASE="http://127.0.0.1:${EMULATOR_PORT}"
  $BIN/python -m devtools.stripe_emulator --port "$EMULATOR_PORT" \
    --webhook-url "http://127.0.0.1:${PORT}/stripe/webhook" \
    --webhook-secret "$STRIPE_WEBHOOK_SECRET" &
  EMULATOR_PID=$!
  trap 'kill $EMULATOR_PID 2>/dev/null || true' EXIT INT TERM
  for _ in $(seq 50); do
    $BIN/python -c "import urllib.request as u; u.urlopen('$STRIPE_API_BASE/_emulator/health', timeout=1)" \
      2>/dev/null && break
    sleep 0.2
  done
  echo "Stripe emulator (TEST MODE) on $STRIPE_API_BASE; pay with card 4242 4242 4242 4242."
fi

export DEMO_MODE=1
export BASE_URL="http://127.0.0.1:${PORT}"
echo "Delegate is starting on $BASE_URL  (owner1@demo.delegate.test / delegate-demo)"
$FLASK run --host 127.0.0.1 --port "$PORT"
