#!/usr/bin/env bash
# Smoke test against a running server: one line per check, then "N passed, N failed".
# Exit code = number of failures.  Needs bash, curl, jq.
#   API_BASE       default http://localhost:8000/api
#   TEST_EMAIL / TEST_PASSWORD   an existing active account (login + authenticated checks)
set -uo pipefail
API_BASE="${API_BASE:-http://localhost:8000/api}"
TEST_EMAIL="${TEST_EMAIL:-}"
TEST_PASSWORD="${TEST_PASSWORD:-}"
passed=0
failed=0

ok()   { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }

check_json() { # name, url, jq filter that must be true, [curl args...]
  local name="$1" url="$2" filter="$3"; shift 3
  local body
  if ! body=$(curl -fsS --max-time 10 "$@" "$url" 2>&1); then fail "$name" "$body"; return; fi
  if echo "$body" | jq -e "$filter" >/dev/null 2>&1; then ok "$name"; else fail "$name" "unexpected body: ${body:0:200}"; fi
}

check_json "ping" "$API_BASE/health/ping" '.status == "healthy" and .db == "connected"'
check_json "ready" "$API_BASE/health/ready" '.ready == true'

TOKEN=""
if [ -n "$TEST_EMAIL" ] && [ -n "$TEST_PASSWORD" ]; then
  login_body=$(jq -n --arg e "$TEST_EMAIL" --arg p "$TEST_PASSWORD" '{email:$e,password:$p}')
  if resp=$(curl -fsS --max-time 10 -H 'content-type: application/json' -d "$login_body" "$API_BASE/auth/login" 2>&1) \
     && TOKEN=$(echo "$resp" | jq -er .access_token); then
    ok "login"
  else
    fail "login" "${resp:0:200}"
  fi
else
  fail "login" "TEST_EMAIL and TEST_PASSWORD are not set"
fi

if [ -n "$TOKEN" ]; then
  auth=(-H "Authorization: Bearer $TOKEN")
  check_json "me" "$API_BASE/auth/me" '.id != null and .email != null' "${auth[@]}"
  check_json "bots" "$API_BASE/bots" 'type == "array"' "${auth[@]}"
  check_json "portfolio summary" "$API_BASE/portfolio/summary" '.equity != null' "${auth[@]}"

  sse=$(curl -sS -N --max-time 5 -H "Accept: text/event-stream" "${auth[@]}" "$API_BASE/realtime/events" 2>/dev/null)
  if echo "$sse" | grep -q '^event: \|^data: \|^id: '; then ok "sse (5 s)"; else fail "sse (5 s)" "no events in 5 s"; fi

  host_port="${API_BASE#*://}"; host_port="${host_port%%/*}"
  ws_status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --http1.1 \
    -H "Connection: Upgrade" -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" \
    -H "Sec-WebSocket-Key: c21va2UtdGVzdC1rZXktMTIzNA==" \
    "http://$host_port${API_BASE#*://$host_port}/ws?token=$TOKEN" 2>/dev/null)
  if [ "$ws_status" = "101" ]; then ok "ws handshake"; else fail "ws handshake" "status $ws_status"; fi
else
  for name in me bots "portfolio summary" "sse (5 s)" "ws handshake"; do fail "$name" "no token"; done
fi

echo "$passed passed, $failed failed"
exit "$failed"
