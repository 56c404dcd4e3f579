#!/usr/bin/env bash
# Starts a throw-away server (temp SQLite data dir, rate limits off, outbound calls pointed at a
# closed local port so nothing leaves the machine), creates an admin with the CLI, runs
# scripts/fuzz.sh against it with a user and the admin token, stops the server.
#
#   scripts/fuzz-local.sh [BINARY]      default target/debug/amarktai (built by `cargo test`)
#
# Exit code: fuzz.sh's (non-zero on any failure).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/debug/amarktai}"
[ -x "$BIN" ] || { echo "no server binary at $BIN (run cargo build first)" >&2; exit 2; }

DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
CLOSED="http://127.0.0.1:9"
export DATA_DIR="$DATA" HOST=127.0.0.1 PORT="$PORT" ENV=local LOG_LEVEL=warn \
  RATE_LIMIT_ENABLED=false LOGIN_RATE_LIMIT_ATTEMPTS=1000 \
  LUNO_BASE_URL="$CLOSED" BINANCE_BASE_URL="$CLOSED" KUCOIN_BASE_URL="$CLOSED" \
  VALR_BASE_URL="$CLOSED" OVEX_BASE_URL="$CLOSED" OPENAI_BASE_URL="$CLOSED/v1" \
  EXCHANGE_TIMEOUT_SECONDS=2 AI_TIMEOUT_SECONDS=2 \
  ADMIN_PASSWORD="fuzz-unlock-$RANDOM"  # configured, so /api/admin/unlock answers 401/200, not 503
unset MONGODB_URL

"$BIN" serve > "$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  curl -fsS --max-time 1 "http://127.0.0.1:$PORT/api/health/live" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "server exited:"; cat "$DATA/server.log"; exit 2; }
  sleep 0.2
done

export FUZZ_ADMIN_EMAIL="fuzz-admin@example.com" FUZZ_ADMIN_PASSWORD="Fuzz-Admin-Secret-1"
ADMIN_BOOTSTRAP_PASSWORD="$FUZZ_ADMIN_PASSWORD" "$BIN" create-admin --email "$FUZZ_ADMIN_EMAIL" >/dev/null

status=0
scripts/fuzz.sh "http://127.0.0.1:$PORT" || status=$?
if [ "$status" -ne 0 ]; then
  echo "== server log (last 40 lines)"; tail -n 40 "$DATA/server.log"
fi
exit "$status"
