#!/usr/bin/env bash
# Starts a throw-away server (temp SQLite DATA_DIR, loopback on a free port, ENV=local, rate
# limits off, outbound exchange/AI calls pointed at a closed local port so nothing leaves the
# machine, admin mail to a local SMTP sink), runs scripts/fuzz.sh against it (a fresh user, and an admin made by the binary's
# `create-admin` through AMARKTAI_BIN), stops the server.
#
#   scripts/fuzz-local.sh [BINARY]      default target/debug/amarktai (built by `cargo test`)
#   FUZZ_MAX_TIME=60 scripts/fuzz-local.sh /tmp/amarktai      (knobs: see scripts/fuzz.sh)
#
# The server and create-admin run inside the temp dir, so a developer's ./.env (MONGODB_URL,
# INVITE_CODE, ...) is never read. Exit code: fuzz.sh's (non-zero on any failure).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$ROOT/target/debug/amarktai}"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
[ -x "$BIN" ] || { echo "no server binary at $BIN (run cargo build first)" >&2; exit 2; }

DATA=$(mktemp -d)
# A local SMTP sink, so the admin broadcast is fuzzed for real instead of answering 503 (unset).
python3 "$ROOT/scripts/smtp-sink.py" "$DATA/smtp.port" &
SINK=$!
SERVER=
trap 'kill $SERVER "$SINK" 2>/dev/null || true; wait $SERVER "$SINK" 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 50); do [ -s "$DATA/smtp.port" ] && break; sleep 0.1; done
[ -s "$DATA/smtp.port" ] || { echo "smtp sink did not start" >&2; exit 2; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
CLOSED="http://127.0.0.1:9"
export DATA_DIR="$DATA" HOST=127.0.0.1 PORT="$PORT" ENV=local LOG_LEVEL=warn MONGODB_URL= \
  RUST_LOG="warn,amarktai::exchange::price_feed=error" \
  RATE_LIMIT_ENABLED=false LOGIN_RATE_LIMIT_ATTEMPTS=10000 INVITE_CODE= REQUIRE_APPROVAL=false \
  ENABLE_TRADING=false ENABLE_SCHEDULERS=false ENABLE_AUTOPILOT=false ENABLE_LIVE_TRADING=false \
  LUNO_BASE_URL="$CLOSED" BINANCE_BASE_URL="$CLOSED" KUCOIN_BASE_URL="$CLOSED" \
  VALR_BASE_URL="$CLOSED" OVEX_BASE_URL="$CLOSED" OPENAI_BASE_URL="$CLOSED/v1" OPENAI_API_KEY= \
  EXCHANGE_TIMEOUT_SECONDS=2 AI_TIMEOUT_SECONDS=2 \
  SMTP_URL="smtp://127.0.0.1:$(cat "$DATA/smtp.port")" SMTP_FROM="fuzz@example.com" \
  ADMIN_PASSWORD="fuzz-unlock-$RANDOM$RANDOM"  # set, so /api/admin/unlock answers 401/200, not 503

(cd "$DATA" && exec "$BIN" serve) > "$DATA/server.log" 2>&1 &
SERVER=$!
up=0
for _ in $(seq 1 150); do
  if curl -fsS --max-time 1 "http://127.0.0.1:$PORT/api/health/live" >/dev/null 2>&1; then up=1; break; fi
  kill -0 "$SERVER" 2>/dev/null || break
  sleep 0.2
done
[ "$up" = 1 ] || { echo "server did not start:"; cat "$DATA/server.log"; exit 2; }

status=0
(cd "$DATA" && AMARKTAI_BIN="$BIN" "$ROOT/scripts/fuzz.sh" "http://127.0.0.1:$PORT") || status=$?
if [ "$status" -ne 0 ]; then
  echo "== server log (last 40 lines)"; tail -n 40 "$DATA/server.log"
fi
exit "$status"
