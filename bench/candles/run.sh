#!/usr/bin/env bash
# Market-data benchmark (issue 17): import N 1m candles from a JSON file with
# `amarktai data import` (SQLite, and MongoDB when MONGODB_URL is set), the on-disk bytes per
# candle (SQLite), and the latency of `GET /api/market/candles` answering 5,000 candles.
#
#   bench/candles/run.sh [BINARY]      default target/release/amarktai (build it first)
#   CANDLES=1000000 REQUESTS=200 bench/candles/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-target/release/amarktai}"
CANDLES="${CANDLES:-1000000}"
REQUESTS="${REQUESTS:-200}"
[ -x "$BIN" ] || { echo "no binary at $BIN: cargo build --release" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'kill "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
python3 - "$WORK/candles.json" "$CANDLES" <<'PY'
import json, random, sys
path, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
t0, price, rows = 1_600_000_000_000 - 1_600_000_000_000 % 60_000, 1_000_000.0, []
for i in range(n):
    o = price; c = max(1.0, o * (1 + random.uniform(-0.002, 0.002)))
    rows.append([t0 + i * 60_000, round(o, 2), round(max(o, c) * 1.0005, 2), round(min(o, c) * 0.9995, 2), round(c, 2), round(random.uniform(0.01, 5), 6)])
    price = c
random.shuffle(rows)  # unsorted input, as the importer must accept
with open(path, "w") as f: json.dump(rows, f)
PY
echo "file: $CANDLES candles, $(du -m "$WORK/candles.json" | cut -f1) MB of JSON"

import_once() {
  local label="$1"; shift
  local start end
  start=$(date +%s.%N)
  env -u MONGODB_URL "$@" "$BIN" data import --exchange binance --pair BTC/USDT --timeframe 1m "$WORK/candles.json" > "$WORK/import.out"
  end=$(date +%s.%N)
  python3 -c "print(f'$label import: {$end - $start:.2f} s')"
  tail -n1 "$WORK/import.out"
}

mkdir -p "$WORK/sqlite"
SQLITE_ENV=(DATA_DIR="$WORK/sqlite" ENV=local LOG_LEVEL=warn)
import_once "sqlite first" "${SQLITE_ENV[@]}"
import_once "sqlite again (idempotent)" "${SQLITE_ENV[@]}"
db_bytes=$(du -cb "$WORK"/sqlite/amarktai.db* | tail -n1 | cut -f1)
python3 -c "print(f'sqlite on disk: {$db_bytes/1e6:.1f} MB for the whole store, {$db_bytes/$CANDLES:.1f} bytes per candle')"
if [ -n "${MONGODB_URL:-}" ]; then
  import_once "mongodb first" MONGODB_URL="$MONGODB_URL" MONGODB_DB="amarktai_bench_candles_$(date +%s)" DATA_DIR="$WORK/m" ENV=local LOG_LEVEL=warn
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
env -u MONGODB_URL "${SQLITE_ENV[@]}" HOST=127.0.0.1 PORT="$PORT" RATE_LIMIT_ENABLED=false "$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/api/health/live" >/dev/null 2>&1 && break; sleep 0.1; done
python3 - "$PORT" "$REQUESTS" <<'PY'
import http.client, json, statistics, sys, time, uuid
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, body=None, token=None):
    h = {"content-type": "application/json"}
    if token: h["authorization"] = f"Bearer {token}"
    c.request(method, path, json.dumps(body) if body else None, h)
    r = c.getresponse(); return r.status, r.read()
email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
status, body = call("POST", "/api/auth/register", {"first_name": "Bench", "email": email, "password": "Bench-Secret-123"})
token = json.loads(body)["access_token"]
path = "/api/market/candles?exchange=binance&pair=BTC/USDT&timeframe=1m&limit=5000&since=1600000000000"
status, body = call("GET", path, token=token)
assert status == 200, body[:200]
count = len(json.loads(body)["candles"])
times = []
for _ in range(n):
    t = time.perf_counter(); s, b = call("GET", path, token=token); times.append((time.perf_counter() - t) * 1000)
    assert s == 200
times.sort()
print(f"GET /api/market/candles ({count} candles, {len(body)/1024:.0f} KiB): p50 {statistics.median(times):.1f} ms, p90 {times[int(len(times)*0.9)]:.1f} ms, p99 {times[int(len(times)*0.99)-1]:.1f} ms over {n} sequential requests")
PY
