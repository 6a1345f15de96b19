//! How the laboratory writes times, amounts and engines in its reports, tables and charts: one place, so the
//! report, the sweep, the table and the chart say them alike.

use super::engine::EngineKind;

/// Whole dollars, with cents below $100 (a few cents socialized is still a loss that reached traders).
pub fn dollars(atoms: u64) -> String {
    if atoms < 100_000_000 {
        dollars_and_cents(atoms)
    } else {
        format!("${}", atoms / 1_000_000)
    }
}

/// Dollars and cents, truncated (a single run's report).
pub fn dollars_and_cents(atoms: u64) -> String {
    format!("${}.{:02}", atoms / 1_000_000, atoms % 1_000_000 / 10_000)
}

/// How a report names the engine its runs used.
pub fn engine_words(engine: EngineKind) -> &'static str {
    match engine {
        EngineKind::Bank => "the real program on the in-process bank",
        EngineKind::Core => "the program's state transitions on the core engine",
    }
}

/// `HH:MM` UTC of a unix time.
pub fn utc_clock(unix_ts: i64) -> String {
    let seconds = unix_ts.rem_euclid(86_400);
    format!("{:02}:{:02}", seconds / 3_600, seconds % 3_600 / 60)
}

/// `YYYY-MM-DD` of a unix time (the proleptic Gregorian calendar, days since 1970-01-01).
pub fn utc_date(unix_ts: i64) -> String {
    let days = unix_ts.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A ratio in bps as a percentage with two decimals, or "nothing at stake" for `u64::MAX`.
pub fn ratio_bps(bps: u64) -> String {
    if bps == u64::MAX {
        "nothing at stake".to_string()
    } else {
        format!("{}.{:02} %", bps / 100, bps % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::{utc_clock, utc_date};

    #[test]
    fn utc_dates_and_clocks() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(1_760_054_400), "2025-10-10");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_clock(1_760_054_400 + 21 * 3_600 + 5 * 60 + 59), "21:05");
    }
}
