#!/usr/bin/env python3
"""Reference SMA-cross backtest with backtesting.py (pinned in setup.sh), printed as JSON.

  sma_cross.py --candles FILE.csv --fast 10 --slow 20 --cash 10000 --fee-bps 10 \
               --slippage-bps 0 [--size-pct 100] [--fractional-unit 1e-8] [--timing]
  sma_cross.py --export-sample {GOOG,BTCUSD,EURUSD} OUT.csv
  sma_cross.py --export-synthetic N OUT.csv [--seed 42]

Candle CSV: header `open_time,open,high,low,close,volume`, open_time = epoch ms UTC, rows in
strictly increasing time. Output on stdout:

  {"trades": [{"entry_time", "exit_time", "entry_price", "exit_price", "size", "pnl"}, ...],
   "final_equity", "return_pct", "elapsed_s" (only with --timing: seconds inside bt.run()),
   "open_trades" (trades still open at the end; see "end of data" below, normally [])}

What backtesting.py 0.6.6 does (read from its source; README.md has the details):

* signal: `next()` runs once per bar i after bar i is complete (it sees close[i] and the
  indicators up to i); crossover(a, b) = a[i-1] < b[i-1] and a[i] > b[i] (strict, NaN -> False).
* fill: market orders placed in next() at bar i fill in the broker step of bar i+1 at open[i+1]
  (trade_on_close=False); the trade's entry/exit bar -- and so its time -- is bar i+1.
* spread (= slippage_bps / 1e4) moves the ENTRY price only: long entry = open * (1 + spread);
  the exit (Position.close()) fills at the raw open.
* commission c (= fee_bps / 1e4): c * |units| * price on entry (price = entry price incl.
  spread) and c * |units| * exit price on exit; taken from cash.
* size: buy(size=f) with 0 < f < 1 is a fraction of the available margin; at the fill:
      units = int((margin_available * leverage * f) // (open*(1+spread) + (f*open*c)/f))
  where margin_available = equity = cash when flat, leverage = 1 (margin=1), and `open`, the
  units and so this formula are in FractionalBacktest's scaled space (see below). f = 1 is
  "one unit", so size-pct 100 uses buy() with no size: f = 1 - 2**-52.
* FractionalBacktest(fractional_unit=u) runs the engine on prices * u (and volume / u), so a
  whole engine unit is u of the asset, then divides the trade prices by u and multiplies the
  sizes by u. In real units:  size = u * floor(f * cash / (u * open * (1 + spread + c))),
  i.e. the fractional size f * cash / (open * (1 + spread + c)) rounded DOWN to a multiple of u
  (exactly: the float expression above with open_scaled = open * u).
* end of data (finalize_trades=True): a trade still open after the last next() is closed at
  the LAST BAR'S OPEN (not its close), exit time = last bar. An order placed by next() on the
  last bar is filled at that same last bar's open in that extra broker step too; an entry
  filled there stays open (it is not in the trade list, but its unrealized P&L at the last
  close is in the final equity): such trades are listed in "open_trades".

Deviation from a literal port of the tutorial, on purpose: the SMAs are computed on the REAL
closes (pandas rolling mean, exactly backtesting.test.SMA), not on FractionalBacktest's scaled
closes (close * 1e-8 is not exact in binary floating point, so ties and near-ties could
resolve differently from an engine working on the real prices). Prices in the output are
recomputed from the real candles (open * (1 + spread) for entries, open for exits) and checked
against the package's own (scaled back) prices, which can differ from them by an ulp or so.
"""

import argparse
import json
import math
import sys
import time
import warnings

import numpy as np
import pandas as pd

import backtesting
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

try:
    from backtesting.lib import FractionalBacktest
except ImportError:  # added in 0.6.2; setup.sh pins 0.6.6 (see README.md)
    FractionalBacktest = None

SAMPLES = ("GOOG", "BTCUSD", "EURUSD")


def epoch_ms(index):
    """A (naive = UTC, or tz-aware) DatetimeIndex of any resolution -> int64 epoch ms."""
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return ((idx - pd.Timestamp(0)) // pd.Timedelta(milliseconds=1)).to_numpy(dtype=np.int64)


def write_candles(path, open_time, o, h, l, c, v):
    with open(path, "w") as f:
        f.write("open_time,open,high,low,close,volume\n")
        for row in zip(open_time.tolist(), o.tolist(), h.tolist(), l.tolist(), c.tolist(), v.tolist()):
            # repr(float) is the shortest string that reads back as the same double
            f.write(",".join(repr(x) for x in row) + "\n")


def export_sample(name, path):
    import backtesting.test as samples
    df = getattr(samples, name)
    f64 = lambda col: df[col].to_numpy(dtype=np.float64)
    write_candles(path, epoch_ms(df.index), f64("Open"), f64("High"), f64("Low"), f64("Close"), f64("Volume"))
    print(f"{name}: {len(df)} rows, {df.index[0]} .. {df.index[-1]} -> {path}", file=sys.stderr)


def export_synthetic(n, path, seed):
    """1m random walk: open = previous close, log-normal steps, prices on a 0.01 grid."""
    rng = np.random.default_rng(seed)
    close = np.round(30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n))), 2)
    open_ = np.concatenate(([30_000.0], close[:-1]))
    high = np.round(np.maximum(open_, close) * (1 + rng.uniform(0, 0.0008, n)), 2)
    low = np.round(np.minimum(open_, close) * (1 - rng.uniform(0, 0.0008, n)), 2)
    volume = np.round(rng.uniform(0.1, 3.0, n), 4)
    t0 = 1_700_000_040_000  # a whole minute, 2023-11-14T22:14:00Z
    open_time = t0 + 60_000 * np.arange(n, dtype=np.int64)
    write_candles(path, open_time, open_, high, low, close, volume)
    print(f"synthetic: {n} 1m candles (seed {seed}) -> {path}", file=sys.stderr)


def load_candles(path):
    # pandas 3.1's one float converter reads the same doubles as Python's float() (checked on
    # the samples and 1M synthetic rows) and so as Rust's str::parse::<f64>; its old default
    # converter ("high", pandas < 3.1) could be an ulp off.
    df = pd.read_csv(path,
                     dtype={"open_time": np.int64, "open": np.float64, "high": np.float64,
                            "low": np.float64, "close": np.float64, "volume": np.float64})
    open_time = df["open_time"].to_numpy(dtype=np.int64)
    if len(open_time) == 0:
        sys.exit(f"{path}: no candles")
    if np.any(np.diff(open_time) <= 0):
        sys.exit(f"{path}: open_time must be strictly increasing")  # the package would re-sort
    data = pd.DataFrame({"Open": df["open"].to_numpy(), "High": df["high"].to_numpy(),
                         "Low": df["low"].to_numpy(), "Close": df["close"].to_numpy(),
                         "Volume": df["volume"].to_numpy()},
                        index=pd.DatetimeIndex(pd.to_datetime(open_time, unit="ms")))
    return data, open_time


class SmaCross(Strategy):
    fast = 10
    slow = 20
    size_fraction = None  # None: buy() with the package's default "all" (1 - 2**-52)
    real_close = None     # the unscaled closes (set by make_strategy)

    def init(self):
        # backtesting.test.SMA = pd.Series(arr).rolling(n).mean(), as in the tutorial
        self.sma_fast = self.I(SMA, self.real_close, self.fast, overlay=False)
        self.sma_slow = self.I(SMA, self.real_close, self.slow, overlay=False)

    def next(self):
        if crossover(self.sma_fast, self.sma_slow) and not self.position:
            if self.size_fraction is None:
                self.buy()
            else:
                self.buy(size=self.size_fraction)
        elif crossover(self.sma_slow, self.sma_fast) and self.position:
            self.position.close()


def make_strategy(real_close, size_pct):
    if not 0 < size_pct <= 100:
        sys.exit("--size-pct must be in (0, 100]")
    return type("SmaCross", (SmaCross,), {
        "real_close": real_close,
        # buy(size=1) would mean ONE unit: 100 % is the package's own default size instead
        "size_fraction": None if size_pct >= 100 else size_pct / 100.0,
    })


def run(args):
    data, open_time = load_candles(args.candles)
    if args.fast >= args.slow or args.fast < 1:
        sys.exit("need 1 <= --fast < --slow")
    strategy = make_strategy(data["Close"].to_numpy(dtype=np.float64), args.size_pct)
    commission = args.fee_bps / 10_000.0
    spread = args.slippage_bps / 10_000.0
    kwargs = dict(cash=args.cash, commission=commission, spread=spread, trade_on_close=False,
                  exclusive_orders=False, hedging=False, margin=1.0, finalize_trades=True)
    unit = args.fractional_unit
    if FractionalBacktest is not None and unit > 0:
        bt = FractionalBacktest(data, strategy, fractional_unit=unit, **kwargs)
    else:
        unit = 1.0  # whole units only (see README.md)
        bt = Backtest(data, strategy, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "prices larger than cash", canceled-order notices
        started = time.perf_counter()
        stats = bt.run(fast=args.fast, slow=args.slow)
        elapsed = time.perf_counter() - started

    opens = data["Open"].to_numpy(dtype=np.float64)
    closes = data["Close"].to_numpy(dtype=np.float64)
    trades = []
    for t in stats["_trades"].itertuples():
        entry_bar, exit_bar = int(t.EntryBar), int(t.ExitBar)
        assert t.Size > 0, "long only"
        entry_price = opens[entry_bar] * (1 + spread)
        exit_price = opens[exit_bar]
        for ours, theirs in ((entry_price, t.EntryPrice), (exit_price, t.ExitPrice)):
            if not math.isclose(ours, theirs, rel_tol=1e-12):
                sys.exit(f"fill price {theirs} is not open(*(1+spread)) {ours}: conventions changed?")
        trades.append({"entry_time": int(open_time[entry_bar]), "exit_time": int(open_time[exit_bar]),
                       "entry_price": entry_price, "exit_price": exit_price,
                       "size": float(t.Size), "pnl": float(t.PnL)})

    # Trades still open (only an entry filled in finalize's extra broker step on the last bar)
    still_open = []
    for t in stats["_strategy"].trades:
        still_open.append({"entry_time": int(open_time[t.entry_bar]),
                           "entry_price": opens[t.entry_bar] * (1 + spread),
                           "size": t.size * unit,
                           "unrealized_pnl_at_last_close": t.size * unit * (closes[-1] - opens[t.entry_bar] * (1 + spread))})
    if still_open:
        print(f"warning: {len(still_open)} trade(s) opened on the last bar stay open; "
              "final_equity includes them", file=sys.stderr)

    out = {"trades": trades,
           "final_equity": float(stats["Equity Final [$]"]),
           "return_pct": float(stats["Return [%]"]),
           "open_trades": still_open,
           "bars": len(data),
           "engine": f"backtesting {backtesting.__version__}, "
                     f"{'FractionalBacktest(fractional_unit=%r)' % unit if unit != 1.0 else 'Backtest'}"}
    if args.timing:
        out["elapsed_s"] = elapsed
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--candles")
    p.add_argument("--fast", type=int, default=10)
    p.add_argument("--slow", type=int, default=20)
    p.add_argument("--cash", type=float, default=10_000.0)
    p.add_argument("--fee-bps", type=float, default=10.0)
    p.add_argument("--slippage-bps", type=float, default=0.0)
    p.add_argument("--size-pct", type=float, default=100.0)
    p.add_argument("--fractional-unit", type=float, default=1e-8,
                   help="FractionalBacktest's unit (package default 1e-8); 0 = plain Backtest, whole units")
    p.add_argument("--timing", action="store_true")
    p.add_argument("--export-sample", nargs=2, metavar=("NAME", "OUT.csv"))
    p.add_argument("--export-synthetic", nargs=2, metavar=("N", "OUT.csv"))
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args()
    if args.export_sample:
        name, path = args.export_sample
        if name not in SAMPLES:
            p.error(f"--export-sample NAME: one of {', '.join(SAMPLES)}")
        export_sample(name, path)
    elif args.export_synthetic:
        export_synthetic(int(args.export_synthetic[0]), args.export_synthetic[1], args.seed)
    elif args.candles:
        run(args)
    else:
        p.error("--candles, --export-sample or --export-synthetic is required")


if __name__ == "__main__":
    main()
