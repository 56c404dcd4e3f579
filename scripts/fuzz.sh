#!/usr/bin/env bash
# Property-based API fuzzing of a running Amarktai server against its own OpenAPI document
# (schemathesis), once with a user token and once with an admin token. Exits non-zero when
# either run reports a failure (or cannot run).
#
#   scripts/fuzz.sh BASE_URL                 e.g. scripts/fuzz.sh http://127.0.0.1:8000
#
# Tokens (the user one is always easy; pick one way to get the admin one):
#   USER_TOKEN          a user's access token (default: register a fresh user through
#                       POST /api/auth/register; FUZZ_INVITE_CODE when the server has INVITE_CODE)
#   ADMIN_TOKEN         an admin's access token (the way to fuzz a remote server), else
#   FUZZ_ADMIN_EMAIL + FUZZ_ADMIN_PASSWORD   log in as that existing admin, else
#   AMARKTAI_BIN        the server binary: `$AMARKTAI_BIN create-admin` makes a fresh admin in
#                       the server's store (run it with the server's environment: DATA_DIR or
#                       MONGODB_URL, in the directory whose .env the server reads), then log in
# Knobs: FUZZ_MAX_TIME seconds per run (default 120), FUZZ_WORKERS (default 2), FUZZ_SEED,
#        FUZZ_REPORT_DIR (JUnit reports; default target/fuzz-report).
#
# The server must run with the rate limits off (RATE_LIMIT_ENABLED=false, and a high
# LOGIN_RATE_LIMIT_ATTEMPTS, e.g. 10000 = its maximum, since login is fuzzed too) or most
# operations end in 429s. Set ADMIN_PASSWORD on it too: unset, POST /api/admin/unlock answers 503
# by design, and not_a_server_error reports that as a failure.
# scripts/fuzz-local.sh does all of this against a throw-away local server.
#
# Checks: not_a_server_error, status_code_conformance, content_type_conformance,
# response_schema_conformance. Left out of the run, and why (only what would end the run's own
# session, plus the streams):
#   POST /api/auth/logout   revokes the very access token the run fuzzes with (no body needed)
#   GET /api/ws, GET /api/realtime/events   endless streams (tested by real WS/SSE clients)
# Kept on purpose: PUT /api/auth/password and PUT /api/auth/profile revoke or change the session
# only with the right current_password, which the fuzzer never has (fresh random password);
# POST /api/auth/refresh needs a real refresh token; the admin's self-harm (block, demote,
# delete yourself) is refused with 400 SELF_ACTION_REFUSED; emergency stop and system mode only
# pause bots. POST /api/admin/users/{own id}/logout|reset-password would revoke the admin token,
# but {action} is a free string in the document, so the fuzzer never forms it; should that change,
# the token check after each run fails loudly instead of letting the rest of the run be 401s.
# The admin run comes second, so its actions on other users cannot cut the user run short.
# Never point this at real data: the admin run blocks, resets and deletes whatever users it finds.
set -euo pipefail
BASE_URL="${1:?usage: scripts/fuzz.sh BASE_URL}"
BASE_URL="${BASE_URL%/}"
MAX_TIME="${FUZZ_MAX_TIME:-120}"
WORKERS="${FUZZ_WORKERS:-2}"
SCHEMATHESIS_VERSION="4.32.5"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv-fuzz"
REPORT_DIR="${FUZZ_REPORT_DIR:-$ROOT/target/fuzz-report}"

# schemathesis, pinned, in its own venv. Debian's python3 without python3-venv has no ensurepip:
# then the venv is made without pip and the system pip installs into it (pip >= 22.3 --python).
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qF "version $SCHEMATHESIS_VERSION"; then
  echo "== installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  if python3 -m venv --clear "$VENV" >/dev/null 2>&1 && [ -x "$VENV/bin/pip" ]; then
    pip=("$VENV/bin/pip")
  else
    python3 -m venv --clear --without-pip "$VENV"
    pip=(python3 -m pip --python "$VENV/bin/python")
  fi
  "${pip[@]}" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin).get('$1') or '')" 2>/dev/null || true; }
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

login() {
  { curl -sS --max-time 15 -H 'content-type: application/json' \
    -d "{\"email\":$(json_str "$1"),\"password\":$(json_str "$2")}" "$BASE_URL/api/auth/login" \
    || true; } | json_field access_token
}

if [ -z "${USER_TOKEN:-}" ]; then
  email="fuzz-user-$(date +%s)-$RANDOM@example.com"
  password="Fuzz-$RANDOM-Secret-1"
  body="{\"first_name\":\"Fuzz\",\"email\":\"$email\",\"password\":\"$password\""
  if [ -n "${FUZZ_INVITE_CODE:-}" ]; then body="$body,\"invite_code\":$(json_str "$FUZZ_INVITE_CODE")"; fi
  USER_TOKEN=$({ curl -sS --max-time 15 -H 'content-type: application/json' -d "$body}" \
    "$BASE_URL/api/auth/register" || true; } | json_field access_token)
  [ -n "$USER_TOKEN" ] || { echo "register at $BASE_URL gave no access_token (invite code? REQUIRE_APPROVAL?)" >&2; exit 2; }
fi

if [ -z "${ADMIN_TOKEN:-}" ] && [ -z "${FUZZ_ADMIN_EMAIL:-}" ] && [ -n "${AMARKTAI_BIN:-}" ]; then
  # A fresh address: create-admin only promotes an existing account and keeps its password.
  FUZZ_ADMIN_EMAIL="fuzz-admin-$(date +%s)-$RANDOM@example.com"
  FUZZ_ADMIN_PASSWORD="Fuzz-Admin-$RANDOM-Secret-1"
  ADMIN_BOOTSTRAP_PASSWORD="$FUZZ_ADMIN_PASSWORD" "$AMARKTAI_BIN" create-admin \
    --email "$FUZZ_ADMIN_EMAIL" --first-name "Fuzz Admin" </dev/null
fi
if [ -z "${ADMIN_TOKEN:-}" ] && [ -n "${FUZZ_ADMIN_EMAIL:-}" ]; then
  ADMIN_TOKEN=$(login "$FUZZ_ADMIN_EMAIL" "${FUZZ_ADMIN_PASSWORD:?FUZZ_ADMIN_PASSWORD is required with FUZZ_ADMIN_EMAIL}")
  [ -n "$ADMIN_TOKEN" ] || { echo "admin login as $FUZZ_ADMIN_EMAIL at $BASE_URL failed" >&2; exit 2; }
fi
[ -n "${ADMIN_TOKEN:-}" ] || { echo "set ADMIN_TOKEN, FUZZ_ADMIN_EMAIL + FUZZ_ADMIN_PASSWORD, or AMARKTAI_BIN" >&2; exit 2; }

cd "$ROOT" # schemathesis keeps its example database in ./.schemathesis (gitignored)
run() {
  local who="$1" token="$2"
  echo "== schemathesis as $who against $BASE_URL (max ${MAX_TIME}s)"
  "$VENV/bin/schemathesis" run "$BASE_URL/api/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --header "Authorization: Bearer $token" \
    --exclude-path /api/auth/logout \
    --exclude-path /api/ws \
    --exclude-path /api/realtime/events \
    --max-time "$MAX_TIME" \
    --workers "$WORKERS" \
    --request-timeout 15 \
    ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
    --report junit --report-dir "$REPORT_DIR/$who"
}

# A run whose token died half-way tested little after that point: count it as failed.
token_alive() {
  local who="$1" token="$2" code
  code=$(curl -sS --max-time 15 -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $token" "$BASE_URL/api/auth/me" || true)
  [ "$code" = 200 ] && return 0
  echo "fuzz: the $who token no longer works after its run (GET /api/auth/me: $code)" >&2
  return 3
}

status=0
for who in user admin; do
  if [ "$who" = user ]; then token="$USER_TOKEN"; else token="$ADMIN_TOKEN"; fi
  rc=0
  run "$who" "$token" || rc=$?
  token_alive "$who" "$token" || { [ "$rc" -ne 0 ] || rc=3; }
  [ "$status" -ne 0 ] || status=$rc
done
if [ "$status" -eq 0 ]; then echo "fuzz: no failures"; else echo "fuzz: FAILURES (exit $status)"; fi
exit "$status"
