//! Strategy evolution (POST /api/bots/evolve): the worst bots borrow from the best, seeded.

use serde::Serialize;

use crate::domain::bot::{Bot, BotStatus, StrategyParams};
use crate::error::AppError;

/// SPEC §3: evolution needs a population of at least this many bots.
pub const MIN_BOTS: usize = 10;
/// Share of the population that is "worst" (evolved) and "best" (parents).
const SHARE: f64 = 0.3;
/// How far a worst bot moves toward its parent (0 = stay, 1 = copy).
const BLEND: f64 = 0.5;
/// Relative jitter after blending, so children do not collapse onto their parents.
const MUTATION: f64 = 0.05;

/// One evolved bot: what it became and where from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewStrategy {
    pub name: String,
    pub bot_id: String,
    pub bot_name: String,
    pub parent_bot_id: String,
    pub parent_bot_name: String,
    pub params: StrategyParams,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvolveResult {
    /// Only the bots whose params changed (the caller saves them and sets `updated_at`).
    pub bots: Vec<Bot>,
    pub evolved_count: usize,
    /// Expected gain in profit % per evolved bot: the share of the gap to its parent that
    /// blending is meant to close, averaged (2 decimals).
    pub improvement: f64,
    pub new_strategies: Vec<NewStrategy>,
}

/// splitmix64: tiny, seedable and good enough for picking parents and jitter.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1) from the top 53 bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [-1, 1).
    fn signed(&mut self) -> f64 {
        self.unit() * 2.0 - 1.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Ranks the (non-deleted) bots by profit % and moves the bottom 30 % halfway toward a
/// randomly chosen top-30 % bot, plus a little mutation. Same bots + same seed = same result.
pub fn evolve(bots: &[Bot], seed: u64) -> Result<EvolveResult, AppError> {
    let mut ranked: Vec<&Bot> = bots
        .iter()
        .filter(|b| b.status != BotStatus::Deleted)
        .collect();
    if ranked.len() < MIN_BOTS {
        return Err(AppError::bad_request(
            "NOT_ENOUGH_BOTS",
            format!(
                "Evolution needs at least {MIN_BOTS} bots; you have {}",
                ranked.len()
            ),
        ));
    }
    // Ties broken by id so the input order never changes the outcome.
    ranked.sort_by(|a, b| {
        b.profit_pct()
            .total_cmp(&a.profit_pct())
            .then_with(|| a.id.cmp(&b.id))
    });
    let n = ranked.len();
    let k = ((n as f64 * SHARE).floor() as usize).max(1);
    let (best, worst) = (&ranked[..k], &ranked[n - k..]);

    let mut rng = SplitMix64(seed);
    let mut evolved = Vec::with_capacity(k);
    let mut strategies = Vec::with_capacity(k);
    let mut gap_total = 0.0;
    for bot in worst {
        let parent = best[rng.below(k)];
        let params = breed(bot.params, parent.params, &mut rng).clamped_for(bot.risk_mode);
        gap_total += BLEND * (parent.profit_pct() - bot.profit_pct()).max(0.0);
        strategies.push(NewStrategy {
            name: format!("{} (evolved from {})", bot.name, parent.name),
            bot_id: bot.id.clone(),
            bot_name: bot.name.clone(),
            parent_bot_id: parent.id.clone(),
            parent_bot_name: parent.name.clone(),
            params,
        });
        let mut child = (*bot).clone();
        child.params = params;
        evolved.push(child);
    }
    let improvement = (gap_total / k as f64 * 100.0).round() / 100.0;
    Ok(EvolveResult {
        evolved_count: evolved.len(),
        bots: evolved,
        improvement,
        new_strategies: strategies,
    })
}

/// Blends `own` toward `parent`, then jitters each knob by up to ±MUTATION.
fn breed(own: StrategyParams, parent: StrategyParams, rng: &mut SplitMix64) -> StrategyParams {
    let mut mix = |a: f64, b: f64| (a + BLEND * (b - a)) * (1.0 + MUTATION * rng.signed());
    StrategyParams {
        take_profit_pct: mix(own.take_profit_pct, parent.take_profit_pct),
        stop_loss_pct: mix(own.stop_loss_pct, parent.stop_loss_pct),
        position_size_pct: mix(own.position_size_pct, parent.position_size_pct),
        holding_ticks: mix(own.holding_ticks as f64, parent.holding_ticks as f64)
            .round()
            .clamp(1.0, u32::MAX as f64) as u32,
        // Trailing stop and cooldown are the user's choices, not tuned by evolution.
        trailing_stop_pct: own.trailing_stop_pct,
        cooldown_candles: own.cooldown_candles,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;
    use crate::domain::bot::test_support::paper_bot;
    use crate::domain::bot::RiskMode;

    /// Ten bots named bot-0..bot-9 where bot-i made i * 10 profit on 1000.
    fn population() -> Vec<Bot> {
        (0..10)
            .map(|i| {
                let mut bot = paper_bot();
                bot.id = format!("bot-{i}");
                bot.name = format!("Bot {i}");
                bot.total_profit = i as f64 * 10.0;
                bot.params = if i >= 7 {
                    RiskMode::Balanced.default_params()
                } else {
                    StrategyParams {
                        take_profit_pct: 1.0,
                        stop_loss_pct: 1.0,
                        position_size_pct: 2.0,
                        holding_ticks: 20,
                        ..RiskMode::Balanced.default_params()
                    }
                };
                bot
            })
            .collect()
    }

    #[test]
    fn fewer_than_ten_bots_cannot_evolve() {
        let mut bots = population();
        bots.pop();
        let err = evolve(&bots, 1).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.code, "NOT_ENOUGH_BOTS");
    }

    #[test]
    fn deleted_bots_do_not_count_toward_the_population() {
        let mut bots = population();
        bots[0].status = BotStatus::Deleted;
        assert_eq!(evolve(&bots, 1).unwrap_err().code, "NOT_ENOUGH_BOTS");
    }

    #[test]
    fn the_worst_thirty_percent_move_toward_the_best() {
        let bots = population();
        let result = evolve(&bots, 42).unwrap();
        assert_eq!(result.evolved_count, 3);
        let mut ids: Vec<&str> = result.bots.iter().map(|b| b.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, vec!["bot-0", "bot-1", "bot-2"]);
        for s in &result.new_strategies {
            assert!(["bot-7", "bot-8", "bot-9"].contains(&s.parent_bot_id.as_str()));
        }
        for bot in &result.bots {
            // Halfway from 2 % to 10 % is 6 %, give or take the 5 % mutation.
            assert!(
                (5.6..=6.4).contains(&bot.params.position_size_pct),
                "{:?}",
                bot.params
            );
            assert!(bot.params.take_profit_pct > 1.0);
            assert!(bot.params.holding_ticks < 20);
        }
        assert!(result.improvement > 0.0);
    }

    #[test]
    fn improvement_is_half_the_mean_profit_gap_to_the_parents() {
        let mut bots = population();
        // Make the best three equal so the expected gain does not depend on the draw.
        for bot in bots.iter_mut().skip(7) {
            bot.total_profit = 100.0;
        }
        // Worst three are at 0 %, 1 %, 2 %; parents at 10 %: gaps 10, 9, 8 -> mean 4.5.
        assert_eq!(evolve(&bots, 7).unwrap().improvement, 4.5);
    }

    #[test]
    fn the_same_seed_gives_the_same_result_and_another_seed_a_different_one() {
        let bots = population();
        assert_eq!(evolve(&bots, 1234).unwrap(), evolve(&bots, 1234).unwrap());
        assert_ne!(evolve(&bots, 1234).unwrap(), evolve(&bots, 4321).unwrap());
    }

    #[test]
    fn input_order_does_not_change_the_result() {
        let bots = population();
        let mut reversed = bots.clone();
        reversed.reverse();
        assert_eq!(evolve(&bots, 9).unwrap(), evolve(&reversed, 9).unwrap());
    }

    #[test]
    fn evolved_params_stay_inside_the_bots_risk_mode() {
        let mut bots = population();
        for bot in bots.iter_mut().skip(7) {
            bot.params = StrategyParams {
                position_size_pct: 50.0,
                stop_loss_pct: 12.0,
                ..bot.params
            };
        }
        bots[0].risk_mode = RiskMode::Safe;
        let result = evolve(&bots, 3).unwrap();
        let safe = result.bots.iter().find(|b| b.id == "bot-0").unwrap();
        assert!(safe.params.position_size_pct <= 10.0);
        assert!(safe.params.stop_loss_pct <= 3.0);
    }
}
