//! sqrt, exp, ln, log, log10 and power on `numeric`, computed exactly to the result scale
//! PostgreSQL 15 chooses (numeric.c's rules: at least 16 significant digits, no fewer
//! fractional digits than the arguments show), so `sqrt(16.0)` is `4.000000000000000`.
//!
//! Arithmetic runs on [`BigDecimal`] at a working scale a few guard digits past the result
//! scale; the result is rounded half away from zero, as PostgreSQL rounds.

use bigdecimal::num_bigint::BigInt;
use bigdecimal::{BigDecimal, One, RoundingMode, Signed, ToPrimitive, Zero};

use crate::error::{Error, Result};

/// PostgreSQL's NUMERIC_MIN_SIG_DIGITS and NUMERIC_MAX_DISPLAY_SCALE.
const MIN_SIG_DIGITS: i64 = 16;
const MAX_DISPLAY_SCALE: i64 = 1000;
/// Digits carried beyond the result scale while computing.
const GUARD: i64 = 12;

fn clamp_scale(s: i64) -> i64 {
    s.clamp(0, MAX_DISPLAY_SCALE)
}

/// The digits after the point a value shows (its dscale).
fn dscale(x: &BigDecimal) -> i64 {
    x.fractional_digit_count().max(0)
}

/// floor(log10(|x|)) for x ≠ 0: the decimal exponent of the leading digit.
fn dec_exponent(x: &BigDecimal) -> i64 {
    let (int, exp) = x.as_bigint_and_exponent();
    let digits = i64::try_from(int.abs().to_string().len()).unwrap_or(0);
    digits - 1 - exp
}

/// The leading digits of |x| as an f64 mantissa in [1, 10).
fn mantissa(x: &BigDecimal) -> f64 {
    let (int, _) = x.as_bigint_and_exponent();
    let s = int.abs().to_string();
    let head = &s[..s.len().min(17)];
    let m: f64 = head.parse().unwrap_or(1.0);
    m / 10f64.powi(i32::try_from(head.len()).unwrap_or(1) - 1)
}

/// ln(|x|) approximately, without overflow for any numeric.
fn approx_ln(x: &BigDecimal) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let e = dec_exponent(x) as f64;
    mantissa(x).ln() + e * std::f64::consts::LN_10
}

/// numeric.c's estimate_ln_dweight: the decimal weight of ln(x).
fn ln_dweight(x: &BigDecimal) -> i64 {
    if !x.is_positive() {
        return 0;
    }
    let lo: BigDecimal = "0.9".parse().unwrap_or_default();
    let hi: BigDecimal = "1.1".parse().unwrap_or_default();
    if *x >= lo && *x <= hi {
        let d = x - BigDecimal::one();
        return if d.is_zero() { 0 } else { dec_exponent(&d) };
    }
    #[allow(clippy::cast_possible_truncation)]
    let w = approx_ln(x).abs().log10() as i64;
    w
}

fn round(x: &BigDecimal, scale: i64) -> BigDecimal {
    x.with_scale_round(scale, RoundingMode::HalfUp)
}

/// a / b rounded to `scale` fractional digits.
fn div(a: &BigDecimal, b: &BigDecimal, scale: i64) -> BigDecimal {
    let (ai, ae) = a.as_bigint_and_exponent();
    let (bi, be) = b.as_bigint_and_exponent();
    let shift = scale + 1 + be - ae;
    let ten = BigInt::from(10);
    let (num, den) = if shift >= 0 {
        (ai * ten.pow(u32::try_from(shift).unwrap_or(0)), bi)
    } else {
        (ai, bi * ten.pow(u32::try_from(-shift).unwrap_or(0)))
    };
    round(&BigDecimal::new(num / den, scale + 1), scale)
}

/// atanh-series ln for y in [0.5, 1]: 2·Σ z^(2k+1)/(2k+1), z = (y-1)/(y+1).
fn ln_near_one(y: &BigDecimal, ws: i64) -> BigDecimal {
    let z = div(&(y - BigDecimal::one()), &(y + BigDecimal::one()), ws);
    let z2 = round(&(&z * &z), ws);
    let mut term = z.clone();
    let mut sum = z;
    let mut k = 1u32;
    let eps = BigDecimal::new(BigInt::one(), ws);
    loop {
        term = round(&(&term * &z2), ws);
        k += 2;
        let t = div(&term, &BigDecimal::from(k), ws);
        if t.abs() < eps {
            break;
        }
        sum += t;
    }
    round(&(sum * BigDecimal::from(2)), ws)
}

fn ln2(ws: i64) -> BigDecimal {
    // ln 2 = -ln(0.5)
    -ln_near_one(&"0.5".parse().unwrap_or_default(), ws)
}

/// ln(x) for x > 0 at working scale `ws`.
fn ln_exact(x: &BigDecimal, ws: i64) -> BigDecimal {
    let ws = ws + 5;
    // x = y · 2^j with y in [0.5, 1].
    let e = dec_exponent(x);
    let ten_e = if e >= 0 {
        BigDecimal::new(BigInt::from(10).pow(u32::try_from(e).unwrap_or(0)), 0)
    } else {
        BigDecimal::new(BigInt::one(), -e)
    };
    let mut y = div(x, &ten_e, ws + 2); // in [1, 10)
    let mut j: i64 = 0; // powers of two divided out
    let two = BigDecimal::from(2);
    let half: BigDecimal = "0.5".parse().unwrap_or_default();
    while y > BigDecimal::one() {
        y = div(&y, &two, ws + 2);
        j += 1;
    }
    while y < half {
        y = round(&(&y * &two), ws + 2);
        j -= 1;
    }
    let l2 = ln2(ws);
    // ln 10 = 3 ln 2 + ln 1.25 = 4 ln 2 + ln(0.625)
    let ln10 = round(
        &(&l2 * BigDecimal::from(4) + ln_near_one(&"0.625".parse().unwrap_or_default(), ws)),
        ws,
    );
    round(
        &(ln_near_one(&y, ws) + l2 * BigDecimal::from(j) + ln10 * BigDecimal::from(e)),
        ws - 5,
    )
}

/// e^x at working scale `ws` (x of modest size).
fn exp_exact(x: &BigDecimal, ws: i64) -> Result<BigDecimal> {
    if x.abs() > 7000 {
        if x.is_negative() {
            return Ok(BigDecimal::zero());
        }
        return Err(Error::OutOfRange("value overflows numeric format".into()));
    }
    // e^x = (e^(x/2^k))^(2^k) with |x/2^k| < 0.01.
    let mut k = 0u32;
    let mut r = x.clone();
    let hundredth: BigDecimal = "0.01".parse().unwrap_or_default();
    let weight = approx_ln_weight(x);
    let ws = ws + weight.max(0) + 20;
    while r.abs() > hundredth {
        r = div(&r, &BigDecimal::from(2), ws + 10);
        k += 1;
    }
    let ws2 = ws + i64::from(k);
    let mut sum = BigDecimal::one();
    let mut term = BigDecimal::one();
    let eps = BigDecimal::new(BigInt::one(), ws2);
    let mut n = 1u32;
    loop {
        term = div(&(&term * &r), &BigDecimal::from(n), ws2);
        if term.abs() < eps {
            break;
        }
        sum += &term;
        n += 1;
    }
    for _ in 0..k {
        sum = round(&(&sum * &sum), ws2);
    }
    Ok(sum)
}

/// The decimal weight of e^x, about x·log10(e).
fn approx_ln_weight(x: &BigDecimal) -> i64 {
    #[allow(clippy::cast_possible_truncation)]
    let w = (x.to_f64().unwrap_or(0.0) * std::f64::consts::LOG10_E) as i64;
    w
}

pub fn sqrt(x: &BigDecimal) -> Result<BigDecimal> {
    if x.is_negative() {
        return Err(Error::invalid(
            "2201F",
            "cannot take square root of a negative number",
        ));
    }
    let weight = if x.is_zero() {
        0
    } else {
        dec_exponent(x).div_euclid(4)
    };
    let sweight = (weight + 1) * 2 - 1;
    let rscale = clamp_scale((MIN_SIG_DIGITS - sweight).max(dscale(x)));
    if x.is_zero() {
        return Ok(round(&BigDecimal::zero(), rscale));
    }
    let ws = rscale + GUARD;
    let ctx = bigdecimal::Context::default()
        .with_prec(u64::try_from(ws + dec_exponent(x).abs() + 10).unwrap_or(100))
        .unwrap_or_default();
    let s = x.sqrt_with_context(&ctx).unwrap_or_default();
    Ok(round(&s, rscale))
}

pub fn exp(x: &BigDecimal) -> Result<BigDecimal> {
    #[allow(clippy::cast_possible_truncation)]
    let val = (x.to_f64().unwrap_or(0.0) * std::f64::consts::LOG10_E) as i64;
    if val.abs() >= 3000 {
        if val < 0 {
            return Ok(round(&BigDecimal::zero(), MAX_DISPLAY_SCALE));
        }
        return Err(Error::OutOfRange("value overflows numeric format".into()));
    }
    let rscale = clamp_scale((MIN_SIG_DIGITS - val).max(dscale(x)));
    Ok(round(&exp_exact(x, rscale + GUARD)?, rscale))
}

fn check_log_arg(x: &BigDecimal) -> Result<()> {
    if x.is_zero() {
        return Err(Error::invalid("2201E", "cannot take logarithm of zero"));
    }
    if x.is_negative() {
        return Err(Error::invalid(
            "2201E",
            "cannot take logarithm of a negative number",
        ));
    }
    Ok(())
}

pub fn ln(x: &BigDecimal) -> Result<BigDecimal> {
    check_log_arg(x)?;
    let rscale = clamp_scale((MIN_SIG_DIGITS - ln_dweight(x)).max(dscale(x)));
    Ok(round(&ln_exact(x, rscale + GUARD), rscale))
}

/// log(base, x); `log(x)` and `log10(x)` are log(10, x).
pub fn log(base: &BigDecimal, x: &BigDecimal) -> Result<BigDecimal> {
    check_log_arg(base)?;
    check_log_arg(x)?;
    let dweight = ln_dweight(x) - ln_dweight(base);
    let rscale = clamp_scale((MIN_SIG_DIGITS - dweight).max(dscale(base)).max(dscale(x)));
    let ws = rscale + GUARD + 5;
    let lb = ln_exact(base, ws);
    if lb.is_zero() {
        return Err(Error::DivisionByZero);
    }
    Ok(round(&div(&ln_exact(x, ws), &lb, ws), rscale))
}

pub fn power(base: &BigDecimal, e: &BigDecimal) -> Result<BigDecimal> {
    if base.is_zero() && e.is_negative() {
        return Err(Error::invalid(
            "2201F",
            "zero raised to a negative power is undefined",
        ));
    }
    let integer = e.is_integer();
    if base.is_negative() && !integer {
        return Err(Error::invalid(
            "2201F",
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    if let Some(n) = e.to_i64().filter(|n| integer && i32::try_from(*n).is_ok()) {
        let rscale = clamp_scale(MIN_SIG_DIGITS.max(dscale(base)));
        if n == 0 {
            return Ok(round(&BigDecimal::one(), rscale));
        }
        #[allow(clippy::cast_precision_loss)]
        let weight = approx_ln(base) * (n as f64) * std::f64::consts::LOG10_E;
        if weight > 3000.0 * 1.01 {
            return Err(Error::OutOfRange("value overflows numeric format".into()));
        }
        let p = pow_int(base, n.unsigned_abs());
        return Ok(if n < 0 {
            div(&BigDecimal::one(), &p, rscale)
        } else {
            round(&p, rscale)
        });
    }
    if base.is_zero() {
        return Ok(round(&BigDecimal::zero(), MIN_SIG_DIGITS));
    }
    let val = approx_ln(base) * e.to_f64().unwrap_or(0.0);
    if val.abs() > 3000.0 * 3.01 {
        if val > 0.0 {
            return Err(Error::OutOfRange("value overflows numeric format".into()));
        }
        return Ok(round(&BigDecimal::zero(), MAX_DISPLAY_SCALE));
    }
    #[allow(clippy::cast_possible_truncation)]
    let val = (val * std::f64::consts::LOG10_E) as i64;
    let rscale = clamp_scale((MIN_SIG_DIGITS - val).max(dscale(base)).max(dscale(e)));
    let ws = rscale + GUARD + val.max(0);
    let l = ln_exact(base, ws + 5);
    Ok(round(&exp_exact(&round(&(l * e), ws + 5), ws)?, rscale))
}

/// base^n by squaring, exact.
fn pow_int(base: &BigDecimal, mut n: u64) -> BigDecimal {
    let mut result = BigDecimal::one();
    let mut b = base.clone();
    while n > 0 {
        if n & 1 == 1 {
            result = &result * &b;
        }
        n >>= 1;
        if n > 0 {
            b = b.square();
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> BigDecimal {
        s.parse().unwrap()
    }

    #[test]
    fn scales_as_postgres() {
        assert_eq!(sqrt(&d("16.0")).unwrap().to_string(), "4.000000000000000");
        assert_eq!(exp(&d("1.0")).unwrap().to_string(), "2.7182818284590452");
        assert_eq!(ln(&d("10.0")).unwrap().to_string(), "2.3025850929940457");
        assert_eq!(
            power(&d("2.0"), &d("0.5")).unwrap().to_string(),
            "1.4142135623730950"
        );
        assert_eq!(
            power(&d("10.0"), &d("-2")).unwrap().to_string(),
            "0.0100000000000000"
        );
        assert_eq!(
            log(&d("2.0"), &d("8.0")).unwrap().to_string(),
            "3.0000000000000000"
        );
    }
}
