//! Parameter sweeps with walk-forward: every combination of a grid is backtested on training
//! windows and ranked by an objective; each fold's winner is then run on the window that
//! follows it, so the out-of-sample figures show how much of the ranking was over-fitting.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::backtest::{self, BacktestSpec, Cancelled, Metrics};
use crate::domain::candles::Candle;
use crate::domain::strategy::{validate, StrategySpec};
use crate::error::FieldError;

/// One combination: every parameter of the strategy with its value.
pub type Params = BTreeMap<String, f64>;

/// The most combinations one sweep may try.
pub const MAX_COMBINATIONS: usize = 10_000;
/// Objectives a sweep can rank by (higher is better; drawdown is ranked lowest first).
pub const OBJECTIVES: [&str; 9] = [
    "sharpe",
    "sortino",
    "calmar",
    "total_return_pct",
    "cagr_pct",
    "profit_factor",
    "expectancy",
    "win_rate_pct",
    "max_drawdown_pct",
];

/// Splits the candles into `folds` consecutive windows, each trained on its first `train_pct`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WalkForward {
    pub folds: u32,
    /// Percent of each window used for training (the rest tests the winner).
    pub train_pct: f64,
}

/// The sweep-specific part of `POST /api/backtests/sweep`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SweepSpec {
    /// Parameter name -> values to try; parameters not named keep the strategy's value.
    #[schema(value_type = Object)]
    pub grid: BTreeMap<String, Vec<f64>>,
    pub objective: String,
    #[serde(default)]
    pub walk_forward: Option<WalkForward>,
}

/// One combination's score (the mean of its training windows' objective).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Ranked {
    pub params: BTreeMap<String, f64>,
    /// `null` when the objective is undefined on every window (e.g. no trades).
    pub score: Option<f64>,
    pub total_return_pct: f64,
    pub trades: u64,
}

/// One walk-forward fold: the winner on its training window and how it did afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Fold {
    pub train_start: i64,
    pub train_end: i64,
    pub test_start: i64,
    pub test_end: i64,
    pub best_params: BTreeMap<String, f64>,
    pub train_score: Option<f64>,
    pub test_metrics: Metrics,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SweepResult {
    pub objective: String,
    /// Valid combinations tried.
    pub combinations: usize,
    /// Combinations the strategy refuses (e.g. fast >= slow), left out.
    pub skipped: usize,
    /// Every combination, best first.
    pub ranking: Vec<Ranked>,
    /// Empty without walk-forward.
    pub folds: Vec<Fold>,
    /// Threads the sweep used.
    pub threads: usize,
}

/// The objective's value (higher is better).
pub fn score(objective: &str, m: &Metrics) -> Option<f64> {
    match objective {
        "sharpe" => m.sharpe,
        "sortino" => m.sortino,
        "calmar" => m.calmar,
        "total_return_pct" => Some(m.total_return_pct),
        "cagr_pct" => Some(m.cagr_pct),
        "profit_factor" => m.profit_factor,
        "expectancy" => Some(m.expectancy),
        "win_rate_pct" => Some(m.win_rate_pct),
        "max_drawdown_pct" => Some(-m.max_drawdown_pct),
        _ => None,
    }
}

/// Every valid combination of the grid over `base` (the strategy's own parameters), and how
/// many the strategy refused. Errors name the bad field.
pub fn combinations(
    base: &StrategySpec,
    sweep: &SweepSpec,
) -> Result<(Vec<Params>, usize), Vec<FieldError>> {
    let mut errors = Vec::new();
    if !OBJECTIVES.contains(&sweep.objective.as_str()) {
        errors.push(FieldError::new(
            "objective",
            format!("must be one of {}", OBJECTIVES.join(", ")),
        ));
    }
    if sweep.grid.is_empty() {
        errors.push(FieldError::new(
            "grid",
            "name at least one parameter and its values",
        ));
    }
    let mut total: usize = 1;
    for (name, values) in &sweep.grid {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            errors.push(FieldError::new(
                format!("grid.{name}"),
                "must be a non-empty list of numbers",
            ));
        }
        total = total.saturating_mul(values.len().max(1));
    }
    if total > MAX_COMBINATIONS {
        errors.push(FieldError::new(
            "grid",
            format!("{total} combinations; at most {MAX_COMBINATIONS}"),
        ));
    }
    if let Some(wf) = sweep.walk_forward {
        if !(1..=50).contains(&wf.folds) {
            errors.push(FieldError::new(
                "walk_forward.folds",
                "must be between 1 and 50",
            ));
        }
        if !(wf.train_pct.is_finite() && wf.train_pct > 0.0 && wf.train_pct < 100.0) {
            errors.push(FieldError::new(
                "walk_forward.train_pct",
                "must be between 0 and 100 (exclusive)",
            ));
        }
    }
    // Unknown parameter names are reported by the strategy's own validation.
    let probe = StrategySpec {
        name: base.name.clone(),
        params: sweep
            .grid
            .keys()
            .map(|k| (k.clone(), serde_json::json!(null)))
            .chain(base.params.clone())
            .collect(),
    };
    if let Err(e) = validate(&probe) {
        errors.extend(
            e.into_iter()
                .filter(|f| !f.message.contains("greater than")),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::new();
    let mut skipped = 0;
    let names: Vec<&String> = sweep.grid.keys().collect();
    let mut index = vec![0usize; names.len()];
    loop {
        let mut spec = base.clone();
        for (i, name) in names.iter().enumerate() {
            spec.params.insert(
                (*name).clone(),
                serde_json::json!(sweep.grid[*name][index[i]]),
            );
        }
        match validate(&spec) {
            Ok(config) => out.push(config.params),
            Err(_) => skipped += 1,
        }
        // Odometer over the grid.
        let mut i = 0;
        loop {
            if i == names.len() {
                return if out.is_empty() {
                    Err(vec![FieldError::new(
                        "grid",
                        "no combination is valid for this strategy",
                    )])
                } else {
                    Ok((out, skipped))
                };
            }
            index[i] += 1;
            if index[i] < sweep.grid[names[i]].len() {
                break;
            }
            index[i] = 0;
            i += 1;
        }
    }
}

/// The (train, test) candle ranges of each fold; one fold without walk-forward (train on all).
fn windows(
    n: usize,
    wf: Option<WalkForward>,
) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let Some(wf) = wf else {
        return vec![(0..n, n..n)];
    };
    let folds = wf.folds.max(1) as usize;
    let size = n / folds;
    (0..folds)
        .map(|f| {
            let start = f * size;
            let end = if f + 1 == folds { n } else { start + size };
            let split = start + ((end - start) as f64 * wf.train_pct / 100.0) as usize;
            (start..split, split..end)
        })
        .collect()
}

/// Runs the sweep on `threads` threads; `progress(done_fraction)` returning false cancels.
pub fn run(
    base: &BacktestSpec,
    combos: &[BTreeMap<String, f64>],
    skipped: usize,
    sweep: &SweepSpec,
    candles: &[Candle],
    threads: usize,
    progress: &(dyn Fn(f64) -> bool + Sync),
) -> Result<SweepResult, Cancelled> {
    let folds = windows(candles.len(), sweep.walk_forward);
    let threads = threads.clamp(1, combos.len().max(1));
    let done = std::sync::atomic::AtomicUsize::new(0);
    let cancelled = std::sync::atomic::AtomicBool::new(false);
    let total = combos.len() * folds.len();
    let spec_for = |params: &BTreeMap<String, f64>| {
        let mut spec = base.clone();
        spec.strategy.params = params.clone();
        spec
    };
    // scores[c][f]: combination c's metrics on fold f's training window.
    let chunk = combos.len().div_ceil(threads);
    let results: Vec<Vec<Metrics>> = std::thread::scope(|scope| {
        let handles: Vec<_> = combos
            .chunks(chunk)
            .map(|part| {
                let (done, cancelled, folds, spec_for) = (&done, &cancelled, &folds, &spec_for);
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(part.len());
                    for params in part {
                        let spec = spec_for(params);
                        let mut per_fold = Vec::with_capacity(folds.len());
                        for (train, _) in folds {
                            if cancelled.load(std::sync::atomic::Ordering::Relaxed) {
                                return out;
                            }
                            let outcome = backtest::run(&spec, &candles[train.clone()], |_| true);
                            if let Ok(o) = outcome {
                                per_fold.push(o.metrics);
                            }
                            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                            if !progress(n as f64 / total.max(1) as f64) {
                                cancelled.store(true, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                        out.push(per_fold);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    if cancelled.load(std::sync::atomic::Ordering::Relaxed) || results.len() != combos.len() {
        return Err(Cancelled);
    }
    let objective = sweep.objective.as_str();
    let mean_score = |per_fold: &[Metrics]| {
        let scores: Vec<f64> = per_fold
            .iter()
            .filter_map(|m| score(objective, m))
            .collect();
        (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
    };
    let mut ranking: Vec<Ranked> = combos
        .iter()
        .zip(&results)
        .map(|(params, per_fold)| Ranked {
            params: params.clone(),
            score: mean_score(per_fold),
            total_return_pct: per_fold.iter().map(|m| m.total_return_pct).sum::<f64>()
                / per_fold.len().max(1) as f64,
            trades: per_fold.iter().map(|m| m.trades).sum(),
        })
        .collect();
    let by_score = |a: &Option<f64>, b: &Option<f64>| match (a, b) {
        (Some(x), Some(y)) => y.total_cmp(x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    };
    ranking.sort_by(|a, b| by_score(&a.score, &b.score));
    let mut out_folds = Vec::new();
    if sweep.walk_forward.is_some() {
        for (f, (train, test)) in folds.iter().enumerate() {
            if test.is_empty() || train.is_empty() {
                continue;
            }
            let best = (0..combos.len())
                .min_by(|&a, &b| {
                    by_score(
                        &results[a].get(f).and_then(|m| score(objective, m)),
                        &results[b].get(f).and_then(|m| score(objective, m)),
                    )
                })
                .unwrap_or(0);
            let tested = backtest::run(&spec_for(&combos[best]), &candles[test.clone()], |_| true)?;
            out_folds.push(Fold {
                train_start: candles[train.start].open_time,
                train_end: candles[train.end - 1].open_time,
                test_start: candles[test.start].open_time,
                test_end: candles[test.end - 1].open_time,
                best_params: combos[best].clone(),
                train_score: results[best].get(f).and_then(|m| score(objective, m)),
                test_metrics: tested.metrics,
            });
        }
    }
    Ok(SweepResult {
        objective: sweep.objective.clone(),
        combinations: combos.len(),
        skipped,
        ranking,
        folds: out_folds,
        threads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::candles::Timeframe;
    use crate::domain::strategy::risk::RiskParams;
    use crate::domain::strategy::trader::Costs;
    use serde_json::json;

    fn base() -> (StrategySpec, BacktestSpec) {
        let spec: StrategySpec =
            serde_json::from_value(json!({"name": "sma_cross", "params": {}})).unwrap();
        let run = BacktestSpec {
            strategy: validate(&spec).unwrap(),
            timeframe: Timeframe::H1,
            risk: RiskParams::signals_only(),
            costs: Costs {
                fee_bps: 10.0,
                slippage_bps: 0.0,
            },
            initial_capital: 1_000.0,
        };
        (spec, run)
    }

    fn candles(n: usize) -> Vec<Candle> {
        (0..n)
            .map(|i| {
                let c = 100.0 + 10.0 * (i as f64 / 15.0).sin() + (i as f64 / 3.0).cos();
                Candle {
                    open_time: i as i64 * 3_600_000,
                    open: c,
                    high: c + 0.5,
                    low: c - 0.5,
                    close: c,
                    volume: 1.0,
                }
            })
            .collect()
    }

    fn sweep(grid: serde_json::Value, wf: Option<WalkForward>) -> SweepSpec {
        SweepSpec {
            grid: serde_json::from_value(grid).unwrap(),
            objective: "total_return_pct".into(),
            walk_forward: wf,
        }
    }

    #[test]
    fn invalid_combinations_are_skipped_and_bad_grids_named() {
        let (spec, _) = base();
        let (combos, skipped) = combinations(
            &spec,
            &sweep(json!({"fast": [5, 10, 40], "slow": [20, 30]}), None),
        )
        .unwrap();
        // 40 is not below 20 or 30: two of six refused.
        assert_eq!((combos.len(), skipped), (4, 2));
        let err = combinations(&spec, &sweep(json!({"speed": [1]}), None)).unwrap_err();
        assert_eq!(err[0].field, "strategy.params.speed");
        let mut bad = sweep(
            json!({"fast": []}),
            Some(WalkForward {
                folds: 0,
                train_pct: 100.0,
            }),
        );
        bad.objective = "luck".into();
        let fields: Vec<String> = combinations(&spec, &bad)
            .unwrap_err()
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(
            fields,
            [
                "objective",
                "grid.fast",
                "walk_forward.folds",
                "walk_forward.train_pct"
            ]
        );
        let huge = sweep(
            json!({"fast": (2..120).collect::<Vec<_>>(), "slow": (3..200).collect::<Vec<_>>()}),
            None,
        );
        assert_eq!(combinations(&spec, &huge).unwrap_err()[0].field, "grid");
    }

    #[test]
    fn ranking_matches_single_backtests_and_folds_test_the_winner_out_of_sample() {
        let (spec, run_spec) = base();
        let data = candles(2_000);
        let sw = sweep(
            json!({"fast": [3, 5, 8], "slow": [13, 21]}),
            Some(WalkForward {
                folds: 2,
                train_pct: 70.0,
            }),
        );
        let (combos, skipped) = combinations(&spec, &sw).unwrap();
        let result = run(&run_spec, &combos, skipped, &sw, &data, 2, &|_| true).unwrap();
        assert_eq!(result.combinations, 6);
        assert!(result.ranking.windows(2).all(|w| w[0].score >= w[1].score));
        // Fold 1 trains on candles 0..700 and tests on 700..1000.
        let fold = &result.folds[0];
        assert_eq!((fold.train_start, fold.train_end), (0, 699 * 3_600_000));
        assert_eq!(
            (fold.test_start, fold.test_end),
            (700 * 3_600_000, 999 * 3_600_000)
        );
        // The winner really is the best on the training window, and its test figures are a
        // plain backtest of the test window.
        let mut best_spec = run_spec.clone();
        best_spec.strategy.params = fold.best_params.clone();
        let on_train = backtest::run(&best_spec, &data[..700], |_| true).unwrap();
        assert_eq!(fold.train_score, Some(on_train.metrics.total_return_pct));
        for params in &combos {
            let mut s = run_spec.clone();
            s.strategy.params = params.clone();
            let r = backtest::run(&s, &data[..700], |_| true)
                .unwrap()
                .metrics
                .total_return_pct;
            assert!(r <= on_train.metrics.total_return_pct);
        }
        let on_test = backtest::run(&best_spec, &data[700..1000], |_| true).unwrap();
        assert_eq!(fold.test_metrics, on_test.metrics);
        // Same answer on one thread.
        let single = run(&run_spec, &combos, skipped, &sw, &data, 1, &|_| true).unwrap();
        assert_eq!(single.ranking, result.ranking);
        assert_eq!(
            run(&run_spec, &combos, skipped, &sw, &data, 2, &|_| false),
            Err(Cancelled)
        );
    }
}
