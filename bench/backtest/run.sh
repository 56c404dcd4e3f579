#!/usr/bin/env bash
# Backtest benchmark (issue 18): one `sma_cross` backtest over N 1m candles already in memory
# (the CLI times `domain::backtest::run` alone, after the file is parsed), and, when the
# reference engine is installed (scripts/backtest-reference/setup.sh), the same backtest in
# backtesting.py on the same candles for the speed ratio.
#
#   bench/backtest/run.sh [BINARY]          default target/release/amarktai (build it first)
#   CANDLES=1000000 RUNS=5 REFERENCE=1 bench/backtest/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-target/release/amarktai}"
CANDLES="${CANDLES:-1000000}"
RUNS="${RUNS:-5}"
REFERENCE="${REFERENCE:-1}"
[ -x "$BIN" ] || { echo "no binary at $BIN: cargo build --release" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
python3 - "$WORK/candles.csv" "$CANDLES" <<'PY'
import random, sys
path, n = sys.argv[1], int(sys.argv[2])
random.seed(11)
t0, price = 1_600_000_000_000 - 1_600_000_000_000 % 60_000, 30_000.0
with open(path, "w") as f:
    f.write("open_time,open,high,low,close,volume\n")
    for i in range(n):
        o = price
        c = max(1.0, o * (1 + random.gauss(0, 0.001)))
        f.write(f"{t0 + i * 60_000},{o:.2f},{max(o, c) * 1.0004:.2f},{min(o, c) * 0.9996:.2f},{c:.2f},{random.uniform(0.1, 3):.4f}\n")
        price = c
PY
echo "file: $CANDLES 1m candles, $(du -m "$WORK/candles.csv" | cut -f1) MB of CSV"

best=""
for i in $(seq 1 "$RUNS"); do
  out=$(DATA_DIR="$WORK/data" "$BIN" backtest --data "$WORK/candles.csv" --timeframe 1m \
        --strategy sma_cross --param fast=10 --param slow=30 --fee-bps 10 --initial-capital 10000)
  ms=$(printf '%s\n' "$out" | head -n1 | sed -E 's/.*, ([0-9.]+) ms$/\1/')
  trades=$(printf '%s\n' "$out" | awk '$1 == "trades" {print $2}')
  echo "run $i: sma_cross(10,30) over $CANDLES candles in memory: $ms ms ($trades trades)"
  if [ -z "$best" ] || awk -v a="$ms" -v b="$best" 'BEGIN {exit !(a < b)}'; then best="$ms"; fi
done
echo "best of $RUNS: $best ms"

# A 1,000-combination sweep (fast 2..26 x slow 30..69) over the first SWEEP_CANDLES candles.
SWEEP_CANDLES="${SWEEP_CANDLES:-500000}"
if [ "$SWEEP_CANDLES" -gt 0 ] && [ "$SWEEP_CANDLES" -le "$CANDLES" ]; then
  end=$(awk -F, -v n="$SWEEP_CANDLES" 'NR == n + 1 {print $1}' "$WORK/candles.csv")
  DATA_DIR="$WORK/data" "$BIN" backtest --data "$WORK/candles.csv" --timeframe 1m --end "$end" \
    --strategy sma_cross --grid "fast=$(seq -s, 2 26)" --grid "slow=$(seq -s, 30 69)" \
    --objective sharpe --fee-bps 10 --initial-capital 10000 | head -n 4
fi

if [ "$REFERENCE" = 1 ] && [ -x .venv-bt/bin/python ]; then
  ref=$(.venv-bt/bin/python scripts/backtest-reference/reference.py time --candles "$WORK/candles.csv")
  secs=$(printf '%s' "$ref" | python3 -c 'import json,sys; print(json.load(sys.stdin)["elapsed_s"])')
  python3 -c "b=$best/1000; r=$secs; print(f'backtesting.py bt.run(): {r:.2f} s; ours {b*1000:.1f} ms; ratio {r/b:.0f}x')"
elif [ "$REFERENCE" = 1 ]; then
  echo "backtesting.py not installed (scripts/backtest-reference/setup.sh): ratio not measured"
fi
