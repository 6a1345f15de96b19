//! Price paths: real minute-by-minute crash history from CSV (`unix_ts,price`), and a synthetic generator
//! (geometric Brownian motion with jumps) for what-ifs. Prices become Pyth mantissas at expo -8.

use std::path::Path;

/// One price observation. `price_e8` is the price × 10⁸ (a Pyth mantissa at expo -8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PricePoint {
    pub unix_ts: i64,
    pub price_e8: i64,
}

/// Parses a decimal such as `210.63` or `0.00004` into a mantissa at expo -8, exactly (digits past the eighth
/// decimal are dropped).
pub fn parse_price_e8(text: &str) -> Result<i64, String> {
    let text = text.trim();
    // `-0.5` would otherwise read as whole part "-0" and fraction 5: +0.5.
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("bad price `{text}`: a price is a positive decimal"));
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole: i64 = whole.parse().map_err(|_| format!("bad price `{text}`"))?;
    let mut digits: String = fraction.chars().take(8).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("bad price `{text}`"));
    }
    while digits.len() < 8 {
        digits.push('0');
    }
    let fraction: i64 = digits.parse().map_err(|_| format!("bad price `{text}`"))?;
    whole
        .checked_mul(100_000_000)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(|| format!("price `{text}` too large"))
}

/// Reads a `unix_ts,price` CSV (header optional), in ascending time.
pub fn read_csv(path: &Path) -> Result<Vec<PricePoint>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut points = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (number == 0 && line.starts_with("unix_ts")) {
            continue;
        }
        let (ts, price) =
            line.split_once(',').ok_or_else(|| format!("line {}: expected `unix_ts,price`", number + 1))?;
        let unix_ts: i64 = ts.trim().parse().map_err(|_| format!("line {}: bad timestamp", number + 1))?;
        let price_e8 = parse_price_e8(price)?;
        if price_e8 <= 0 {
            return Err(format!("line {}: price must be positive", number + 1));
        }
        if points.last().is_some_and(|p: &PricePoint| p.unix_ts >= unix_ts) {
            return Err(format!("line {}: timestamps must increase", number + 1));
        }
        points.push(PricePoint { unix_ts, price_e8 });
    }
    if points.len() < 2 {
        return Err("a price series needs at least two rows".to_string());
    }
    Ok(points)
}

/// xorshift64*: deterministic for a seed, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The state is splitmix64 of the seed, a bijection: neighbouring seeds start far apart, and no two seeds share
    /// a state but the one whose mix is zero (xorshift's fixed point, moved off to a constant) and the one whose mix
    /// is that constant. (It was `seed ^ C | 1`, which gave seeds 2k and 2k + 1 the same state: a sweep of 20 seeds
    /// replayed 11 populations.)
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Self(if z == 0 { 0x9e37_79b9_7f4a_7c15 } else { z })
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// A synthetic path: `minutes` one-minute steps of GBM with annualised `volatility`, plus a jump of `jump_pct`
/// (negative for a crash) with probability `jump_prob` per minute.
#[derive(Debug, Clone, Copy)]
pub struct Synthetic {
    pub start_price: f64,
    pub minutes: usize,
    pub volatility: f64,
    pub jump_prob: f64,
    pub jump_pct: f64,
    pub seed: u64,
}

impl Synthetic {
    /// Checks every option before a path is generated: a clear error rather than a panic or a silent misparse.
    pub fn validate(&self) -> Result<(), String> {
        let fine = |x: f64| x.is_finite();
        if !(2..=1_000_000).contains(&self.minutes) {
            return Err(format!("--minutes {}: between 2 and 1 000 000", self.minutes));
        }
        if !fine(self.volatility) || !(0.0..=10.0).contains(&self.volatility) {
            return Err(format!("--volatility {}: between 0 and 10 (annualised)", self.volatility));
        }
        if !fine(self.jump_prob) || !(0.0..=1.0).contains(&self.jump_prob) {
            return Err(format!("--jump-prob {}: a probability, 0 to 1", self.jump_prob));
        }
        if !fine(self.jump_pct) || self.jump_pct <= -100.0 || self.jump_pct > 100.0 {
            return Err(format!("--jump-pct {}: above -100 and at most 100", self.jump_pct));
        }
        if !fine(self.start_price) || self.start_price <= 0.0 || self.start_price > 1e9 {
            return Err(format!("start price {}: positive, at most 1e9", self.start_price));
        }
        Ok(())
    }

    pub fn generate(&self) -> Vec<PricePoint> {
        let mut rng = Rng::new(self.seed);
        let dt: f64 = 1.0 / (365.0 * 24.0 * 60.0);
        let mut price = self.start_price;
        let start = 1_750_000_000;
        (0..self.minutes)
            .map(|minute| {
                if minute > 0 {
                    let shock = self.volatility * dt.sqrt() * rng.normal() - 0.5 * self.volatility.powi(2) * dt;
                    price *= shock.exp();
                    if rng.unit() < self.jump_prob {
                        price *= 1.0 + self.jump_pct / 100.0;
                    }
                    price = price.max(1e-6);
                }
                PricePoint { unix_ts: start + 60 * minute as i64, price_e8: (price * 1e8).round() as i64 }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_draws_its_own_sequence() {
        let firsts: std::collections::BTreeSet<[u64; 2]> = (0..100_000u64)
            .map(|seed| {
                let mut rng = Rng::new(seed);
                [rng.next_u64(), rng.next_u64()]
            })
            .collect();
        assert_eq!(firsts.len(), 100_000);
    }

    #[test]
    fn prices_parse_exactly() {
        assert_eq!(parse_price_e8("210.63"), Ok(21_063_000_000));
        assert_eq!(parse_price_e8("46506"), Ok(4_650_600_000_000));
        assert_eq!(parse_price_e8("0.00004"), Ok(4_000));
        assert_eq!(parse_price_e8("1.123456789"), Ok(112_345_678));
        assert!(parse_price_e8("abc").is_err());
        // Issue 19: `-0.5` was read as +0.5 and simulated.
        assert!(parse_price_e8("-0.5").is_err());
        assert!(parse_price_e8("+1").is_err());
    }

    #[test]
    fn every_bad_synthetic_option_is_a_clear_error() {
        let good =
            Synthetic { start_price: 100.0, minutes: 100, volatility: 0.8, jump_prob: 0.05, jump_pct: -10.0, seed: 7 };
        assert_eq!(good.validate(), Ok(()));
        let bad = [
            Synthetic { minutes: 0, ..good },
            Synthetic { volatility: f64::NAN, ..good },
            Synthetic { volatility: -1.0, ..good },
            Synthetic { jump_prob: 1.5, ..good },
            Synthetic { jump_pct: 500.0, ..good },
            Synthetic { jump_pct: -100.0, ..good },
        ];
        for case in bad {
            assert!(case.validate().is_err(), "{case:?}");
        }
    }

    #[test]
    fn synthetic_paths_are_deterministic_for_a_seed() {
        let path =
            Synthetic { start_price: 100.0, minutes: 100, volatility: 0.8, jump_prob: 0.05, jump_pct: -10.0, seed: 7 };
        assert_eq!(path.generate(), path.generate());
        assert_eq!(path.generate().len(), 100);
    }
}
