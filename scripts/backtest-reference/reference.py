#!/usr/bin/env python3
"""Cross-checks Amarktai's backtester against backtesting.py (an independent engine with the same
conventions), and times backtesting.py for the benchmark.

  crosscheck --amarktai BIN      every bundled sample (GOOG daily, EURUSD hourly, BTCUSD monthly)
                                 plus a synthetic 1m random walk, several SMA pairs each: the trade
                                 lists (entry/exit time and price) must be identical and the final
                                 equity agree within 0.01 %. Exit code 1 on any difference.
  time --candles FILE.csv        seconds backtesting.py's bt.run() takes for SMA(10, 30)

Conventions both engines follow: signal on a bar's close, market orders fill at the next bar's
open, commission = fee x notional on entry and on exit, long only. backtesting.py sizes
`buy(size=0.9999)` as int(0.9999 x cash // (price + commission per unit)) units, and
FractionalBacktest makes one unit 1e-8 of the asset (and scales the prices the strategy sees by
1e-8, so the SMAs here are computed on the real closes, as ours are), so its size is ours
(0.9999 x cash / (price x (1 + fee))) rounded down to 1e-8: that rounding is the only source of
difference in equity. backtesting.py closes a position still open at the end at the last bar's
*open* (finalize_trades), ours at the last *close*: each dataset is therefore cut right after the
last exit that backtesting.py made on its own, so no position is open at the end in either.
"""

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import warnings

import pandas as pd
from backtesting import Strategy
from backtesting.lib import FractionalBacktest, crossover
from backtesting.test import BTCUSD, EURUSD, GOOG

warnings.filterwarnings("ignore")

FEE_BPS = 10.0
CASH = 10_000.0
SIZE = 0.9999  # backtesting.py reads a size of 1 as "one unit", so "all" is 0.9999


def sma(values, n):
    return pd.Series(values).rolling(n).mean()


class SmaCross(Strategy):
    fast = 10
    slow = 30
    real_close = None  # the unscaled closes (set per run)

    def init(self):
        # On the real closes: FractionalBacktest shows the strategy closes x 1e-8, and averages
        # of scaled floats can round differently at exact ties (our engine reads real prices).
        self.f = self.I(sma, self.real_close, self.fast, overlay=False)
        self.s = self.I(sma, self.real_close, self.slow, overlay=False)

    def next(self):
        if crossover(self.f, self.s) and not self.position:
            self.buy(size=SIZE)
        elif crossover(self.s, self.f) and self.position:
            self.position.close()


def run_reference(df, fast, slow):
    strategy = type("SmaCross", (SmaCross,), {"real_close": df["Close"].to_numpy()})
    bt = FractionalBacktest(df, strategy, cash=CASH, commission=FEE_BPS / 10_000,
                            trade_on_close=False, exclusive_orders=False,
                            finalize_trades=True, fractional_unit=1e-8)
    started = time.perf_counter()
    stats = bt.run(fast=fast, slow=slow)
    elapsed = time.perf_counter() - started
    return stats, elapsed


def ms(ts):
    return int(pd.Timestamp(ts).tz_localize("UTC").value // 1_000_000) if pd.Timestamp(ts).tzinfo is None \
        else int(pd.Timestamp(ts).value // 1_000_000)


def write_csv(df, path):
    with open(path, "w") as f:
        f.write("open_time,open,high,low,close,volume\n")
        for ts, row in df.iterrows():
            f.write(f"{ms(ts)},{float(row.Open)!r},{float(row.High)!r},{float(row.Low)!r},{float(row.Close)!r},{float(max(row.Volume, 0))!r}\n")


def run_ours(binary, path, timeframe, fast, slow, data_dir):
    out = subprocess.run(
        [binary, "backtest", "--data", path, "--timeframe", timeframe, "--strategy", "sma_cross",
         "--param", f"fast={fast}", "--param", f"slow={slow}", "--fee-bps", str(FEE_BPS),
         "--initial-capital", str(CASH), "--position-size-pct", str(SIZE * 100), "--json"],
        capture_output=True, text=True, env={**os.environ, "DATA_DIR": data_dir, "LOG_LEVEL": "warn"})
    if out.returncode != 0:
        raise RuntimeError(f"amarktai backtest failed: {out.stderr}")
    return json.loads(out.stdout)


def synthetic_minutes(n=20_000, seed=5):
    rnd = random.Random(seed)
    t0 = pd.Timestamp("2024-03-01T00:00:00")
    price, rows = 30_000.0, []
    for i in range(n):
        o = price
        c = max(1.0, o * (1 + rnd.gauss(0, 0.0015)))
        rows.append((t0 + pd.Timedelta(minutes=i), round(o, 2), round(max(o, c) * 1.0003, 2),
                     round(min(o, c) * 0.9997, 2), round(c, 2), round(rnd.uniform(0.1, 3), 4)))
        price = c
    df = pd.DataFrame(rows, columns=["ts", "Open", "High", "Low", "Close", "Volume"]).set_index("ts")
    return df


def cut_after_last_exit(df, fast, slow):
    """The data up to the bar of the last exit backtesting.py made before the end."""
    stats, _ = run_reference(df, fast, slow)
    trades = stats["_trades"]
    last_bar = len(df) - 1
    own = trades[trades["ExitBar"] < last_bar]
    if own.empty:
        return None
    return df.iloc[: int(own["ExitBar"].max()) + 1]


def compare(name, df, timeframe, fast, slow, binary, work):
    cut = cut_after_last_exit(df, fast, slow)
    if cut is None:
        print(f"skip {name} SMA({fast},{slow}): no closed trade")
        return True
    stats, _ = run_reference(cut, fast, slow)
    ref = stats["_trades"]
    path = os.path.join(work, f"{name}.csv")
    write_csv(cut, path)
    ours = run_ours(binary, path, timeframe, fast, slow, os.path.join(work, "data"))
    problems = []
    if len(ref) != len(ours["trades"]):
        problems.append(f"{len(ref)} reference trades, {len(ours['trades'])} ours")
    for i, (r, o) in enumerate(zip(ref.itertuples(), ours["trades"])):
        pairs = [("entry_time", ms(r.EntryTime), o["entry_time"]), ("exit_time", ms(r.ExitTime), o["exit_time"])]
        for what, a, b in pairs:
            if a != b:
                problems.append(f"trade {i} {what}: reference {a}, ours {b}")
        for what, a, b in [("entry_price", r.EntryPrice, o["entry_price"]), ("exit_price", r.ExitPrice, o["exit_price"])]:
            if not math.isclose(a, b, rel_tol=1e-9):
                problems.append(f"trade {i} {what}: reference {a}, ours {b}")
    # Cash after the closed trades: a buy signal on the very last bar is filled there by
    # backtesting.py's finalisation and left open (in its "Equity Final"); ours is never filled.
    ref_equity = CASH + float(ref["PnL"].sum())
    our_equity = ours["metrics"]["final_equity"]
    diff = abs(our_equity - ref_equity) / ref_equity * 100
    if diff > 0.01:
        problems.append(f"final equity: reference {ref_equity}, ours {our_equity} ({diff:.5f} %)")
    status = "FAIL" if problems else "ok  "
    print(f"{status} {name} SMA({fast},{slow}): {len(ref)} trades identical, final equity "
          f"{ref_equity:.4f} vs {our_equity:.4f} ({diff:.6f} %), {len(cut)} bars")
    for p in problems[:10]:
        print(f"     {p}")
    return not problems


def crosscheck(binary):
    datasets = [("GOOG", GOOG, "1d"), ("EURUSD", EURUSD, "1h"), ("BTCUSD", BTCUSD, "1d"),
                ("synthetic-1m", synthetic_minutes(), "1m")]
    ok = True
    with tempfile.TemporaryDirectory() as work:
        for name, df, timeframe in datasets:
            for fast, slow in [(2, 3), (3, 7), (10, 20), (5, 30), (20, 50)]:
                if len(df) < slow * 3:
                    continue
                ok &= compare(name, df, timeframe, fast, slow, binary, work)
    print("crosscheck: all identical" if ok else "crosscheck: DIFFERENCES")
    return 0 if ok else 1


def timing(path):
    df = pd.read_csv(path)
    df.index = pd.to_datetime(df["open_time"], unit="ms")
    df = df.rename(columns=str.capitalize)[["Open", "High", "Low", "Close", "Volume"]]
    stats, elapsed = run_reference(df, 10, 30)
    print(json.dumps({"elapsed_s": elapsed, "trades": int(stats["# Trades"]), "bars": len(df)}))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("crosscheck")
    c.add_argument("--amarktai", required=True)
    t = sub.add_parser("time")
    t.add_argument("--candles", required=True)
    args = parser.parse_args()
    return crosscheck(args.amarktai) if args.cmd == "crosscheck" else timing(args.candles)


if __name__ == "__main__":
    sys.exit(main())
