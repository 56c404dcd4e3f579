#!/usr/bin/env bash
# Smoke test against a running server (SPEC §14): one line per check, then
# "N passed, N failed, N skipped". Exit code = number of failures. Needs bash, curl, jq.
#   API_BASE                     default http://localhost:8000/api
#   TEST_EMAIL / TEST_PASSWORD   an existing active account (login + authenticated checks)
#   SSE_SECONDS                  how long to listen to the event stream (default 5)
# A route this server does not have yet (the router's own 404 "Not Found") is SKIPPED, not
# failed, so the script works against builds from before that area was merged.
set -uo pipefail
API_BASE="${API_BASE:-http://localhost:8000/api}"
API_BASE="${API_BASE%/}"
TEST_EMAIL="${TEST_EMAIL:-}"
TEST_PASSWORD="${TEST_PASSWORD:-}"
SSE_SECONDS="${SSE_SECONDS:-5}"
passed=0
failed=0
skipped=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
skip() { echo "SKIP $1${2:+: $2}"; skipped=$((skipped + 1)); }

# True when a 404 body is the router's fallback (the route does not exist on this server).
unrouted() { jq -e '.error.code == "NOT_FOUND" and .detail == "Not Found"' "$1" >/dev/null 2>&1; }

# request NAME URL [curl args...]: sets $status and the body in $TMP/body.
request() {
  local url="$2"; shift 2
  status=$(curl -sS --max-time 10 -o "$TMP/body" -w '%{http_code}' "$@" "$url" 2>"$TMP/err") || status="000"
}

# check NAME PATH JQ_FILTER [curl args...]: 200 and the filter holds.
check() {
  local name="$1" path="$2" filter="$3"; shift 3
  request "$name" "$API_BASE$path" "$@"
  if [ "$status" = "000" ]; then fail "$name" "no answer ($(head -c 200 "$TMP/err"))"; return; fi
  if [ "$status" = "404" ] && unrouted "$TMP/body"; then skip "$name" "GET $path not on this server yet"; return; fi
  if [ "$status" != "200" ]; then fail "$name" "status $status: $(head -c 200 "$TMP/body")"; return; fi
  if jq -e "$filter" "$TMP/body" >/dev/null 2>&1; then pass "$name"; else fail "$name" "unexpected body: $(head -c 200 "$TMP/body")"; fi
}

check "ping" "/health/ping" '.status == "healthy" and .db == "connected"'
check "ready" "/health/ready" '.ready == true'

TOKEN=""
if [ -n "$TEST_EMAIL" ] && [ -n "$TEST_PASSWORD" ]; then
  jq -n --arg e "$TEST_EMAIL" --arg p "$TEST_PASSWORD" '{email:$e,password:$p}' > "$TMP/login.json"
  request "login" "$API_BASE/auth/login" -H 'content-type: application/json' --data-binary "@$TMP/login.json"
  if [ "$status" = "200" ] && TOKEN=$(jq -er '.access_token' "$TMP/body" 2>/dev/null); then
    pass "login"
  else
    TOKEN=""
    fail "login" "status $status: $(jq -r '.detail // empty' "$TMP/body" 2>/dev/null | head -c 200)"
  fi
else
  fail "login" "TEST_EMAIL and TEST_PASSWORD are not set"
fi

if [ -z "$TOKEN" ]; then
  for name in me bots "portfolio summary" "sse" "ws handshake"; do fail "$name" "no token"; done
  echo "$passed passed, $failed failed, $skipped skipped"
  exit "$failed"
fi

auth=(-H "Authorization: Bearer $TOKEN")
check "me" "/auth/me" '.id != null and .email != null and (has("password_hash") | not)' "${auth[@]}"
check "bots" "/bots" 'type == "array"' "${auth[@]}"
check "portfolio summary" "/portfolio/summary" '.equity != null and .timestamp != null' "${auth[@]}"

# SSE: listen for SSE_SECONDS; expect 200, text/event-stream and at least one frame.
curl -sS -N --max-time "$SSE_SECONDS" -D "$TMP/sse_headers" -o "$TMP/body" \
  -H "Accept: text/event-stream" "${auth[@]}" "$API_BASE/realtime/events" 2>/dev/null
sse_status=$(awk '{gsub(/\r/, "")} toupper($1) ~ /^HTTP\// {s=$2} END {print s}' "$TMP/sse_headers" 2>/dev/null)
if [ "$sse_status" = "404" ] && unrouted "$TMP/body"; then
  skip "sse (${SSE_SECONDS} s)" "GET /realtime/events not on this server yet"
elif [ "$sse_status" != "200" ]; then
  fail "sse (${SSE_SECONDS} s)" "status ${sse_status:-none}"
elif ! grep -qi '^content-type: text/event-stream' "$TMP/sse_headers"; then
  fail "sse (${SSE_SECONDS} s)" "not text/event-stream"
elif grep -q '^event: \|^data: ' "$TMP/body"; then
  pass "sse (${SSE_SECONDS} s, $(grep -c '^data: ' "$TMP/body") events)"
else
  fail "sse (${SSE_SECONDS} s)" "no events"
fi

# WebSocket: the upgrade must answer 101 Switching Protocols.
curl -sS -N --http1.1 --max-time 3 -D "$TMP/ws_headers" -o "$TMP/body" \
  -H "Connection: Upgrade" -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" \
  -H "Sec-WebSocket-Key: c21va2UtdGVzdC1rZXktMTIzNA==" \
  "$API_BASE/ws?token=$TOKEN" 2>/dev/null
ws_status=$(awk '{gsub(/\r/, "")} toupper($1) ~ /^HTTP\// {s=$2} END {print s}' "$TMP/ws_headers" 2>/dev/null)
if [ "$ws_status" = "101" ]; then
  pass "ws handshake"
elif [ "$ws_status" = "404" ] && unrouted "$TMP/body"; then
  skip "ws handshake" "GET /ws not on this server yet"
else
  fail "ws handshake" "status ${ws_status:-none}"
fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$failed"
