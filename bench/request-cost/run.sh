#!/usr/bin/env bash
# Request-path cost (issue 20): the server's /api/health/live, /api/auth/me and /api/bots
# (20 bots) against a bare axum route (bench/floor), measured with wrk in the same run.
# See bench/README.md, "Request-path cost".
#
# usage: bench/request-cost/run.sh SERVER_BIN FLOOR_BIN
# env:   ROUNDS (3) DURATION (5 s) CONNECTIONS (64) THREADS (2) OUT (report file, optional)
#        SERVER_ENV="K=V K2=V2": extra server environment (e.g. LOG_LEVEL=warn: what logging costs)
#        PERF=1: record `perf record -F 999 -g` of the server during each route's first round
#        PERF_CALLGRAPH="--call-graph dwarf": unwind with DWARF (the release build has no frame pointers)
set -euo pipefail

BIN=${1:?server binary}
FLOOR=${2:?floor binary}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
OUT=${OUT:-/dev/null}
command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)" >&2; exit 1; }

DATA=$(mktemp -d /tmp/amarktai-request-cost.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
FPORT=$(free_port)
BASE=http://127.0.0.1:$PORT

cleanup() {
    [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -n "${FLOOR_PID:-}" ] && kill "$FLOOR_PID" 2>/dev/null || true
}
trap cleanup EXIT

# The bench server's environment (bench/src/server.rs), with the rate limiter off as the
# issue measures it, and the production access log: info, JSON, to a file.
(cd "$DATA" && env -u RUST_LOG HOST=127.0.0.1 PORT="$PORT" DATA_DIR="$DATA" \
    JWT_SECRET=bench-secret-bench-secret-bench-secret-0123456789 ENV=local \
    LOG_LEVEL=info LOG_FORMAT=json RATE_LIMIT_ENABLED=false \
    ENABLE_TRADING=false ENABLE_SCHEDULERS=false ENABLE_AUTOPILOT=false ENABLE_REALTIME=true \
    ${SERVER_ENV:-} "$BIN" >"$DATA/server.log" 2>&1) &
SERVER_PID=$!
FLOOR_ADDR=127.0.0.1:$FPORT "$FLOOR" >/dev/null 2>&1 &
FLOOR_PID=$!
for _ in $(seq 500); do
    curl -fs "$BASE/api/health/ready" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$FPORT/api/health/live" >/dev/null 2>&1 && break
    sleep 0.02
done
# The subshell's child is the server: find its pid for perf and the final SIGTERM.
SERVER_PID=$(pgrep -P "$SERVER_PID" || echo "$SERVER_PID")

register() {
    curl -fs -X POST "$BASE/api/auth/register" -H 'content-type: application/json' \
        -d "{\"first_name\":\"$1\",\"email\":\"$1@bench.local\",\"password\":\"BenchPass123\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
ME_TOKEN=$(register bench-me)
BOTS_TOKEN=$(register bench-bots)
EXCHANGES=(binance kucoin valr ovex); RISKS=(safe balanced aggressive)
for i in $(seq 0 19); do
    curl -fs -X POST "$BASE/api/bots" -H "authorization: Bearer $BOTS_TOKEN" -H 'content-type: application/json' \
        -d "{\"name\":\"bench-bot-$i\",\"exchange\":\"${EXCHANGES[$((i % 4))]}\",\"risk_mode\":\"${RISKS[$((i % 3))]}\",\"trading_mode\":\"paper\",\"initial_capital\":1000}" >/dev/null
done
BOTS_BYTES=$(curl -fs "$BASE/api/bots" -H "authorization: Bearer $BOTS_TOKEN" | wc -c)

declare -A SENT
report() { echo "$*" | tee -a "$OUT"; }
report "request-cost run $(date -u +%FT%TZ) commit $(curl -fs "$BASE/api/version" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("git_sha","?"))') wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS rounds; /api/bots answer $BOTS_BYTES bytes"
report "| round | load (1 min) | floor rps · CPU µs/req | live rps · p99 · vs floor · CPU µs/req | me rps · p99 · vs floor · CPU µs/req | bots rps · p99 · vs me · CPU µs/req |"
report "|---|---|---|---|---|---|"

# CPU ticks (user + system) a process has used so far.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK_HZ=$(getconf CLK_TCK)

# wrk -> "rps p99_ms total non2xx cpu_us_per_request"
measure() {
    local name=$1 url=$2 token=${3:-} out pid=$SERVER_PID
    [ "$name" = floor ] && pid=$FLOOR_PID
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency)
    [ -n "$token" ] && args+=(-H "authorization: Bearer $token")
    if [ "${PERF:-0}" = 1 ] && [ -z "${PROFILED[$name]:-}" ] && [ "$name" != floor ]; then
        PROFILED[$name]=1
        perf record -F 999 ${PERF_CALLGRAPH:--g} -p "$SERVER_PID" -o "$DATA/perf-$name.data" -- sleep "$DURATION" >/dev/null 2>&1 &
    fi
    local before after
    before=$(ticks "$pid")
    out=$(wrk "${args[@]}" "$url")
    after=$(ticks "$pid")
    wait 2>/dev/null || true
    local rps p99 total non2xx
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    total=$(awk '/requests in/ {print $1}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    local cpu
    cpu=$(python3 -c "print(f'{($after - $before) / $TICK_HZ * 1e6 / max($total, 1):.0f}')")
    echo "$rps $p99 $total ${non2xx:-0} $cpu"
}
declare -A PROFILED
pct() { python3 -c "print(f'{100*$1/$2:.0f} %')"; }
for round in $(seq "$ROUNDS"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    read -r f_rps _ _ _ f_cpu < <(measure floor "http://127.0.0.1:$FPORT/api/health/live")
    read -r l_rps l_p99 l_n l_bad l_cpu < <(measure live "$BASE/api/health/live")
    read -r m_rps m_p99 m_n m_bad m_cpu < <(measure me "$BASE/api/auth/me" "$ME_TOKEN")
    read -r b_rps b_p99 b_n b_bad b_cpu < <(measure bots "$BASE/api/bots" "$BOTS_TOKEN")
    SENT[live]=$(( ${SENT[live]:-0} + l_n )); SENT[me]=$(( ${SENT[me]:-0} + m_n )); SENT[bots]=$(( ${SENT[bots]:-0} + b_n ))
    [ "$l_bad$m_bad$b_bad" = 000 ] || report "round $round: non-2xx answers live $l_bad, me $m_bad, bots $b_bad"
    report "| $round | $load | $f_rps · $f_cpu | $l_rps · $l_p99 · $(pct "$l_rps" "$f_rps") · $l_cpu | $m_rps · $m_p99 · $(pct "$m_rps" "$f_rps") · $m_cpu | $b_rps · $b_p99 · $(pct "$b_rps" "$m_rps") · $b_cpu |"
done

metrics=$(curl -fs "$BASE/metrics" | grep -E '^log_lines_dropped_total' || echo "log_lines_dropped_total (absent)")
# Graceful stop, so every queued access-log line reaches the file before counting.
kill -TERM "$SERVER_PID"
for _ in $(seq 200); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
count() { grep '"target":"access"' "$DATA/server.log" | grep -c "\"route\":\"$1\"" || true; }
# wrk counts answers it read; requests still in flight when it stops were answered (and
# logged) by the server but not counted, so the log may hold up to CONNECTIONS more per run.
report "access-log lines vs wrk answers: live $(count /api/health/live) / ${SENT[live]}, me $(count /api/auth/me) / ${SENT[me]}, bots $(count /api/bots) / ${SENT[bots]}; $metrics"
if [ "${PERF:-0}" = 1 ]; then
    for name in live me bots; do
        report "perf: $DATA/perf-$name.data"
    done
fi
echo "server log and profiles kept in $DATA" >&2
