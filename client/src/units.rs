//! Amounts as people type them. Collateral is in dollars with `QUOTE_DECIMALS` (6) decimals, sizes in units of
//! the base asset with 9; `1.5` means one and a half of them. Parsed exactly: no floats, digits beyond the
//! precision refused rather than rounded.

use backstop_math::constants::QUOTE_DECIMALS;

/// Decimals of a position's base size (`BASE_PRECISION` = 10⁹).
pub const BASE_DECIMALS: u8 = 9;

/// `text` (e.g. `1.5`, `1000`, `0.000001`) as atoms at `decimals`. Refuses a sign, an empty value, a digit past
/// the precision and anything that does not fit in 64 bits.
pub fn parse_amount(text: &str, decimals: u8) -> Result<u64, String> {
    let text = text.trim();
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction, well_formed) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction, digits(whole) && digits(fraction)),
        None => (text, "", digits(text)),
    };
    if !well_formed {
        return Err(format!("`{text}`: expected an amount such as 1.5"));
    }
    if fraction.len() > usize::from(decimals) {
        return Err(format!("`{text}`: at most {decimals} decimals"));
    }
    let scale = 10u64.pow(u32::from(decimals));
    let padded = format!("{fraction:0<width$}", width = usize::from(decimals));
    let fraction: u64 =
        if padded.is_empty() { 0 } else { padded.parse().map_err(|_| format!("`{text}`: bad digits"))? };
    let whole: u64 = whole.parse().map_err(|_| format!("`{text}`: too large"))?;
    whole.checked_mul(scale).and_then(|w| w.checked_add(fraction)).ok_or_else(|| format!("`{text}`: too large"))
}

/// A signed size (`-0.5` sells half a unit) as base atoms.
pub fn parse_size(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (negative, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let atoms = i64::try_from(parse_amount(magnitude, BASE_DECIMALS)?).map_err(|_| format!("`{text}`: too large"))?;
    if atoms == 0 {
        return Err(format!("`{text}`: a size is not zero"));
    }
    Ok(if negative { -atoms } else { atoms })
}

/// Collateral atoms as dollars (`1500000` → `1.500000`).
pub fn format_collateral(atoms: i128) -> String {
    let scale = 10i128.pow(u32::from(QUOTE_DECIMALS));
    let sign = if atoms < 0 { "-" } else { "" };
    let magnitude = atoms.unsigned_abs();
    let scale = scale.unsigned_abs();
    format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale, width = usize::from(QUOTE_DECIMALS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly_and_refuse_what_they_cannot_mean() {
        assert_eq!(parse_amount("1.5", 6), Ok(1_500_000));
        assert_eq!(parse_amount("1000", 6), Ok(1_000_000_000));
        assert_eq!(parse_amount("0.000001", 6), Ok(1));
        // Issue 19: `deposit 1.5` was "invalid digit".
        for bad in ["", "-1", "1.", ".5", "1.0000001", "1e6", "abc", "18446744073709.551616"] {
            assert!(parse_amount(bad, 6).is_err(), "{bad}");
        }
        assert_eq!(parse_size("-0.5"), Ok(-500_000_000));
        assert_eq!(parse_size("2"), Ok(2_000_000_000));
        assert!(parse_size("0").is_err());
        assert_eq!(format_collateral(1_500_000), "1.500000");
        assert_eq!(format_collateral(-36_080_090), "-36.080090");
    }
}
