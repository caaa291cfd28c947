//! Math functions: trunc, sqrt, cbrt, power, exp, ln, log, log10, mod, sign, pi, random,
//! degrees, radians, and pg_sleep — on double precision, and on numeric where PostgreSQL keeps it exact.

use bigdecimal::{BigDecimal, RoundingMode, Signed, Zero};
use vdb_engine::value::{Numeric, Value};

use super::{bad_args, int_arg, Builtin};
use crate::error::{Error, Result};

fn float(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Float8(f) => Some(*f),
        Value::Float4(f) => Some(f64::from(*f)),
        _ => None,
    }
}

fn checked(f: f64) -> Result<Value> {
    if f.is_infinite() {
        return Err(Error::OutOfRange("value out of range: overflow".into()));
    }
    Ok(Value::Float8(f))
}

/// The cube root as PostgreSQL computes it: glibc's `cbrt` (a polynomial estimate refined by one
/// Halley step, not correctly rounded), so that `cbrt(27)` is `3.0000000000000004` here as
/// there. Rust's own `cbrt` rounds correctly and gives `3`.
fn cbrt(x: f64) -> f64 {
    const CBRT2: f64 = 1.259_921_049_894_873_2; // 2^(1/3)
    const SQR_CBRT2: f64 = 1.587_401_051_968_199_6; // 2^(2/3)
    const FACTOR: [f64; 5] = [1.0 / SQR_CBRT2, 1.0 / CBRT2, 1.0, CBRT2, SQR_CBRT2];
    if x == 0.0 || !x.is_finite() {
        return x + x;
    }
    let (xm, xe) = frexp(x.abs());
    let u = 0.354_895_765_043_919_84
        + (1.508_191_937_815_849
            + (-2.114_994_941_673_713
                + (2.446_931_225_635_344_4
                    + (-1.834_692_774_836_130_8
                        + (0.784_932_344_976_639_2 - 0.145_263_899_385_486_37 * xm) * xm)
                        * xm)
                    * xm)
                * xm)
            * xm;
    let t2 = u * u * u;
    // C's `%` and `/` truncate toward zero, as Rust's do.
    let index = usize::try_from(2 + xe % 3).unwrap_or(2);
    let ym = u * (t2 + 2.0 * xm) / (2.0 * t2 + xm) * FACTOR[index];
    let ym = if x > 0.0 { ym } else { -ym };
    // |xe / 3| <= 358, so 2^(xe / 3) is a normal double and the product is exact.
    ym * f64::from_bits(u64::try_from(1023 + xe / 3).unwrap_or(1023) << 52)
}

/// `x` (finite, positive) as `m * 2^e` with `m` in [0.5, 1), as C's `frexp`.
fn frexp(x: f64) -> (f64, i32) {
    let (x, shift) = if x < f64::MIN_POSITIVE {
        (x * f64::from_bits((1023 + 54) << 52), 54) // subnormal: scale by 2^54 first
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let exponent = i32::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
    let mantissa = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (mantissa, exponent - 1022 - shift)
}

/// `pg_sleep`: a negative or NaN time does not wait; the value is empty, as a void is.
fn sleep(seconds: Option<f64>) -> Result<Value> {
    let seconds = seconds.filter(|s| *s > 0.0).unwrap_or(0.0);
    let duration = std::time::Duration::try_from_secs_f64(seconds)
        .map_err(|_| Error::OutOfRange("pg_sleep: time out of range".into()))?;
    crate::interrupt::sleep(duration)?;
    Ok(Value::Text(String::new()))
}

/// Evaluates `b` if it is a math function.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    if let Some(Value::Numeric(n)) = args.first().filter(|_| args.len() == 1) {
        if !matches!(n, Numeric::Finite(_)) {
            if let Some(result) = non_finite(b, n) {
                return Some(result);
            }
        }
    }
    let x = float(args.first());
    let result = match b {
        Builtin::Trunc => trunc(args),
        Builtin::Sqrt => match x {
            Some(v) if v < 0.0 => Err(Error::invalid(
                "2201F",
                "cannot take square root of a negative number",
            )),
            Some(v) => Ok(Value::Float8(v.sqrt())),
            None => Err(bad_args(b, args)),
        },
        Builtin::Cbrt => Ok(Value::Float8(cbrt(x.unwrap_or(f64::NAN)))),
        Builtin::Power => power(
            x.unwrap_or(f64::NAN),
            float(args.get(1)).unwrap_or(f64::NAN),
        ),
        Builtin::Exp => exp(x.unwrap_or(f64::NAN)),
        Builtin::Ln | Builtin::Log10 => match x {
            Some(0.0) => Err(Error::invalid("2201E", "cannot take logarithm of zero")),
            Some(v) if v < 0.0 => Err(Error::invalid(
                "2201E",
                "cannot take logarithm of a negative number",
            )),
            Some(v) => Ok(Value::Float8(if b == Builtin::Ln {
                v.ln()
            } else {
                v.log10()
            })),
            None => Err(bad_args(b, args)),
        },
        Builtin::Log => log(args),
        Builtin::Mod => modulo(args),
        Builtin::Sign => Ok(match args.first() {
            Some(Value::Numeric(Numeric::Finite(d))) => {
                Value::Numeric(Numeric::Finite(BigDecimal::from(if d.is_zero() {
                    0
                } else if d.is_negative() {
                    -1
                } else {
                    1
                })))
            }
            _ => Value::Float8(match x {
                Some(v) if v > 0.0 => 1.0,
                Some(v) if v < 0.0 => -1.0,
                // Zero (of either sign) and NaN, as PostgreSQL's dsign.
                _ => 0.0,
            }),
        }),
        Builtin::Pi => Ok(Value::Float8(std::f64::consts::PI)),
        Builtin::PgSleep => sleep(x),
        Builtin::Degrees => Ok(Value::Float8(x.unwrap_or(f64::NAN).to_degrees())),
        Builtin::Radians => Ok(Value::Float8(x.unwrap_or(f64::NAN).to_radians())),
        Builtin::Div => div(args),
        Builtin::Gcd | Builtin::Lcm => gcd_lcm(b == Builtin::Gcd, args),
        Builtin::Trig(name) => trig(name, x.unwrap_or(f64::NAN)),
        Builtin::Atan2 => Ok(Value::Float8(
            x.unwrap_or(f64::NAN)
                .atan2(float(args.get(1)).unwrap_or(f64::NAN)),
        )),
        Builtin::Atan2d => Ok(Value::Float8(degrees::atan2d(
            x.unwrap_or(f64::NAN),
            float(args.get(1)).unwrap_or(f64::NAN),
        ))),
        Builtin::WidthBucket => width_bucket(args),
        Builtin::WidthBucketArray => width_bucket_array(args),
        Builtin::Factorial => factorial(int_arg(args.first()).unwrap_or(0)),
        _ => return None,
    };
    Some(result)
}

/// sqrt, ln, log, log10, exp and sign of a numeric NaN or infinity, as PostgreSQL's numeric
/// functions answer them: NaN stays NaN, +Infinity mostly stays itself.
fn non_finite(b: Builtin, n: &Numeric) -> Option<Result<Value>> {
    let numeric = |n: Numeric| Ok(Value::Numeric(n));
    Some(match (b, n) {
        (
            Builtin::Sqrt | Builtin::Ln | Builtin::Log10 | Builtin::Log | Builtin::Exp,
            Numeric::NaN,
        ) => numeric(Numeric::NaN),
        (
            Builtin::Sqrt | Builtin::Ln | Builtin::Log10 | Builtin::Log | Builtin::Exp,
            Numeric::Infinity,
        ) => numeric(Numeric::Infinity),
        (Builtin::Sqrt, _) => Err(Error::invalid(
            "2201F",
            "cannot take square root of a negative number",
        )),
        (Builtin::Ln | Builtin::Log10 | Builtin::Log, _) => Err(Error::invalid(
            "2201E",
            "cannot take logarithm of a negative number",
        )),
        (Builtin::Exp, _) => numeric(Numeric::Finite(BigDecimal::from(0))),
        (Builtin::Sign, Numeric::NaN) => numeric(Numeric::NaN),
        (Builtin::Sign, Numeric::Infinity) => numeric(Numeric::Finite(BigDecimal::from(1))),
        (Builtin::Sign, _) => numeric(Numeric::Finite(BigDecimal::from(-1))),
        _ => return None,
    })
}

/// `trunc(x)` / `trunc(numeric, n)`: toward zero.
fn trunc(args: &[Value]) -> Result<Value> {
    match args.first() {
        Some(Value::Float8(f)) => Ok(Value::Float8(f.trunc())),
        Some(Value::Numeric(Numeric::Finite(d))) => {
            let scale = int_arg(args.get(1)).unwrap_or(0).clamp(-2000, 2000);
            Ok(Value::Numeric(Numeric::Finite(
                d.with_scale_round(scale, RoundingMode::Down)
                    .with_scale(scale.max(0)),
            )))
        }
        Some(other) => Ok(other.clone()),
        None => Ok(Value::Null),
    }
}

/// `log(x)` (base 10) or `log(b, x)` on numeric, rounded to 16 significant digits as
/// PostgreSQL's numeric log is close enough to.
fn log(args: &[Value]) -> Result<Value> {
    let to_f = |v: Option<&Value>| match v {
        Some(Value::Numeric(Numeric::Finite(d))) => d.to_string().parse::<f64>().ok(),
        Some(Value::Float8(f)) => Some(*f),
        _ => None,
    };
    let (base, x) = match args.len() {
        1 => (10.0, to_f(args.first())),
        _ => (to_f(args.first()).unwrap_or(f64::NAN), to_f(args.get(1))),
    };
    let x = x.unwrap_or(f64::NAN);
    if x == 0.0 || base == 0.0 {
        return Err(Error::invalid("2201E", "cannot take logarithm of zero"));
    }
    if x < 0.0 || base < 0.0 {
        return Err(Error::invalid(
            "2201E",
            "cannot take logarithm of a negative number",
        ));
    }
    let r = x.ln() / base.ln();
    if matches!(args.first(), Some(Value::Float8(_))) {
        return Ok(Value::Float8(r));
    }
    let d: BigDecimal = format!("{r:.16}").parse().unwrap_or_default();
    Ok(Value::Numeric(Numeric::Finite(
        d.with_scale_round(16, RoundingMode::HalfUp),
    )))
}

/// `mod(a, b)` on integers or numeric; the sign follows the dividend.
fn modulo(args: &[Value]) -> Result<Value> {
    match (args.first(), args.get(1)) {
        (Some(Value::Numeric(Numeric::Finite(a))), Some(Value::Numeric(Numeric::Finite(b)))) => {
            if b.is_zero() {
                return Err(Error::DivisionByZero);
            }
            Ok(Value::Numeric(Numeric::Finite(a % b)))
        }
        (a, b) => {
            let (Some(a), Some(b)) = (int_arg(a), int_arg(b)) else {
                return Ok(Value::Null);
            };
            if b == 0 {
                return Err(Error::DivisionByZero);
            }
            let r = a.checked_rem(b).unwrap_or(0);
            Ok(match args.first() {
                Some(Value::Int2(_)) => Value::Int2(i16::try_from(r).unwrap_or(0)),
                Some(Value::Int4(_)) => Value::Int4(i32::try_from(r).unwrap_or(0)),
                _ => Value::Int8(r),
            })
        }
    }
}

/// `power(a, e)` on floats with PostgreSQL's rules for zero, negatives, NaN and infinities.
fn power(a: f64, e: f64) -> Result<Value> {
    if a.is_nan() {
        return Ok(Value::Float8(if e == 0.0 { 1.0 } else { f64::NAN }));
    }
    if e.is_nan() {
        return Ok(Value::Float8(if a == 1.0 { 1.0 } else { f64::NAN }));
    }
    if a == 0.0 && e < 0.0 {
        return Err(Error::invalid(
            "2201F",
            "zero raised to a negative power is undefined",
        ));
    }
    if a < 0.0 && e.floor() != e {
        return Err(Error::invalid(
            "2201F",
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    let result = if e.is_infinite() {
        let magnitude = a.abs();
        if magnitude == 1.0 {
            1.0
        } else if (e > 0.0) == (magnitude > 1.0) {
            f64::INFINITY
        } else {
            0.0
        }
    } else if a.is_infinite() {
        let odd = e.floor() == e && e.abs() < 9.007_199_254_740_992e15 && e % 2.0 != 0.0;
        match (e == 0.0, a > 0.0, e > 0.0) {
            (true, _, _) => 1.0,
            (false, true, true) => a,
            (false, true, false) => 0.0,
            (false, false, true) if odd => a,
            (false, false, true) => -a,
            (false, false, false) if odd => -0.0,
            (false, false, false) => 0.0,
        }
    } else {
        let r = a.powf(e);
        if r == 0.0 && a != 0.0 {
            return Err(Error::OutOfRange("value out of range: underflow".into()));
        }
        return checked(r);
    };
    Ok(Value::Float8(result))
}

/// `exp(x)`: infinities and NaN pass as PostgreSQL passes them; a finite result too large or
/// too small for a float is an overflow or underflow error.
fn exp(x: f64) -> Result<Value> {
    if x.is_nan() || x == f64::INFINITY {
        return Ok(Value::Float8(x));
    }
    if x == f64::NEG_INFINITY {
        return Ok(Value::Float8(0.0));
    }
    let r = x.exp();
    if r == 0.0 {
        return Err(Error::OutOfRange("value out of range: underflow".into()));
    }
    checked(r)
}

/// The trigonometric functions in degrees, computed as PostgreSQL computes them so that the
/// standard angles come out exact (`sind(30)` is 0.5, `cosd(60)` 0.5, `tand(45)` 1).
mod degrees {
    const RADIANS_PER_DEGREE: f64 = std::f64::consts::PI / 180.0;

    fn sin_30() -> f64 {
        (30.0 * RADIANS_PER_DEGREE).sin()
    }

    fn one_minus_cos_60() -> f64 {
        1.0 - (60.0 * RADIANS_PER_DEGREE).cos()
    }

    fn sind_0_to_30(x: f64) -> f64 {
        ((x * RADIANS_PER_DEGREE).sin() / sin_30()) / 2.0
    }

    fn cosd_0_to_60(x: f64) -> f64 {
        1.0 - ((1.0 - (x * RADIANS_PER_DEGREE).cos()) / one_minus_cos_60()) / 2.0
    }

    fn sind_q1(x: f64) -> f64 {
        if x <= 30.0 {
            sind_0_to_30(x)
        } else {
            cosd_0_to_60(90.0 - x)
        }
    }

    fn cosd_q1(x: f64) -> f64 {
        if x <= 60.0 {
            cosd_0_to_60(x)
        } else {
            sind_0_to_30(90.0 - x)
        }
    }

    /// An angle folded into the first quadrant, with the sign its function's value takes.
    fn fold(x: f64, cosine: bool, tangent: bool) -> (f64, f64) {
        let mut x = x % 360.0;
        let mut sign = 1.0;
        if x < 0.0 {
            x = -x;
            if !cosine {
                sign = -sign;
            }
        }
        if x > 180.0 {
            x = 360.0 - x;
            if !cosine {
                sign = -sign;
            }
        }
        if x > 90.0 {
            x = 180.0 - x;
            if cosine || tangent {
                sign = -sign;
            }
        }
        (x, sign)
    }

    pub fn sind(x: f64) -> f64 {
        let (x, sign) = fold(x, false, false);
        sign * sind_q1(x)
    }

    pub fn cosd(x: f64) -> f64 {
        let (x, sign) = fold(x, true, false);
        sign * cosd_q1(x)
    }

    /// `tand` (`cotangent` false) or `cotd`: the quotient of the first-quadrant sine and cosine,
    /// scaled so that 45 degrees gives exactly 1 (never -0).
    fn tangent(x: f64, cotangent: bool) -> f64 {
        let ratio = |x: f64| {
            if cotangent {
                cosd_q1(x) / sind_q1(x)
            } else {
                sind_q1(x) / cosd_q1(x)
            }
        };
        let (x, sign) = fold(x, false, true);
        let r = sign * (ratio(x) / ratio(45.0));
        if r == 0.0 {
            0.0
        } else {
            r
        }
    }

    pub fn tand(x: f64) -> f64 {
        tangent(x, false)
    }

    pub fn cotd(x: f64) -> f64 {
        tangent(x, true)
    }

    fn asind_q1(x: f64) -> f64 {
        if x <= 0.5 {
            (x.asin() / 0.5_f64.asin()) * 30.0
        } else {
            90.0 - (x.acos() / 0.5_f64.acos()) * 60.0
        }
    }

    fn acosd_q1(x: f64) -> f64 {
        if x <= 0.5 {
            90.0 - (x.asin() / 0.5_f64.asin()) * 30.0
        } else {
            (x.acos() / 0.5_f64.acos()) * 60.0
        }
    }

    pub fn asind(x: f64) -> f64 {
        if x >= 0.0 {
            asind_q1(x)
        } else {
            -asind_q1(-x)
        }
    }

    pub fn acosd(x: f64) -> f64 {
        if x >= 0.0 {
            acosd_q1(x)
        } else {
            90.0 + asind_q1(-x)
        }
    }

    pub fn atand(x: f64) -> f64 {
        (x.atan() / 1.0_f64.atan()) * 45.0
    }

    pub fn atan2d(y: f64, x: f64) -> f64 {
        (y.atan2(x) / 1.0_f64.atan()) * 45.0
    }
}

fn trig(name: &str, x: f64) -> Result<Value> {
    let domain = || Err(Error::invalid("22003", "input is out of range"));
    if x.is_nan() {
        return Ok(Value::Float8(f64::NAN));
    }
    Ok(Value::Float8(match name {
        "sind" | "cosd" | "tand" | "cotd" if x.is_infinite() => return domain(),
        "sind" => degrees::sind(x),
        "cosd" => degrees::cosd(x),
        "tand" => degrees::tand(x),
        "cotd" => degrees::cotd(x),
        "asind" | "acosd" if !(-1.0..=1.0).contains(&x) => return domain(),
        "asind" => degrees::asind(x),
        "acosd" => degrees::acosd(x),
        "atand" => degrees::atand(x),
        "asinh" => x.asinh(),
        "acosh" if x >= 1.0 => x.acosh(),
        "atanh" if (-1.0..=1.0).contains(&x) => x.atanh(),
        "acosh" | "atanh" => return domain(),
        "sin" => x.sin(),
        "cos" => x.cos(),
        "tan" => x.tan(),
        "cot" => 1.0 / x.tan(),
        "asin" if (-1.0..=1.0).contains(&x) => x.asin(),
        "acos" if (-1.0..=1.0).contains(&x) => x.acos(),
        "asin" | "acos" => return domain(),
        "atan" => x.atan(),
        "sinh" => x.sinh(),
        "cosh" => x.cosh(),
        "tanh" => x.tanh(),
        _ => {
            return Err(Error::undefined_function(format!(
                "function {name} does not exist"
            )))
        }
    }))
}

/// A numeric operand, if the value is a finite numeric (or an integer, widened).
fn decimal(v: Option<&Value>) -> Option<BigDecimal> {
    match v? {
        Value::Numeric(Numeric::Finite(d)) => Some(d.clone()),
        other => int_arg(Some(other)).map(BigDecimal::from),
    }
}

/// `div(a, b)`: the integer quotient of numerics, truncated toward zero.
fn div(args: &[Value]) -> Result<Value> {
    let (Some(a), Some(b)) = (decimal(args.first()), decimal(args.get(1))) else {
        return Ok(Value::Null);
    };
    if b.is_zero() {
        return Err(Error::DivisionByZero);
    }
    Ok(Value::Numeric(Numeric::Finite(
        (a / b).with_scale_round(0, RoundingMode::Down),
    )))
}

/// `gcd(a, b)` / `lcm(a, b)` on integers (same width as the arguments) or numerics.
fn gcd_lcm(gcd: bool, args: &[Value]) -> Result<Value> {
    // A NaN or infinite numeric argument gives NaN, as in PostgreSQL.
    let special = |v: Option<&Value>| matches!(v, Some(Value::Numeric(n)) if !matches!(n, Numeric::Finite(_)));
    if special(args.first()) || special(args.get(1)) {
        return Ok(Value::Numeric(Numeric::NaN));
    }
    if let (Some(Value::Numeric(_)), Some(a), Some(b)) =
        (args.first(), decimal(args.first()), decimal(args.get(1)))
    {
        let (mut x, mut y) = (a.abs(), b.abs());
        while !y.is_zero() {
            let r = &x % &y;
            x = y;
            y = r;
        }
        let r = if gcd {
            x
        } else if x.is_zero() {
            BigDecimal::zero()
        } else {
            (a.abs() / x) * b.abs()
        };
        return Ok(Value::Numeric(Numeric::Finite(
            r.normalized().with_scale(
                a.fractional_digit_count()
                    .max(b.fractional_digit_count())
                    .max(0),
            ),
        )));
    }
    let (Some(a), Some(b)) = (int_arg(args.first()), int_arg(args.get(1))) else {
        return Ok(Value::Null);
    };
    let (mut x, mut y) = (i128::from(a).abs(), i128::from(b).abs());
    while y != 0 {
        let r = x % y;
        x = y;
        y = r;
    }
    let r = if gcd {
        x
    } else if x == 0 {
        0
    } else {
        i128::from(a).abs() / x * i128::from(b).abs()
    };
    let overflow = || {
        Error::OutOfRange(format!(
            "{} out of range",
            if matches!(args.first(), Some(Value::Int4(_))) {
                "integer"
            } else {
                "bigint"
            }
        ))
    };
    Ok(match args.first() {
        Some(Value::Int4(_) | Value::Int2(_)) => {
            Value::Int4(i32::try_from(r).map_err(|_| overflow())?)
        }
        _ => Value::Int8(i64::try_from(r).map_err(|_| overflow())?),
    })
}

/// `width_bucket(x, low, high, count)`: which of `count` equal buckets over [low, high) holds
/// x; 0 below, count + 1 at or above.
fn width_bucket(args: &[Value]) -> Result<Value> {
    let f = |v: Option<&Value>| match v {
        Some(Value::Numeric(Numeric::Finite(d))) => d.to_string().parse::<f64>().ok(),
        Some(Value::Numeric(Numeric::NaN)) => Some(f64::NAN),
        Some(Value::Numeric(Numeric::Infinity)) => Some(f64::INFINITY),
        Some(Value::Numeric(Numeric::NegInfinity)) => Some(f64::NEG_INFINITY),
        other => float(other).or_else(|| int_arg(other).map(|n| n as f64)),
    };
    let (Some(x), Some(lo), Some(hi)) = (f(args.first()), f(args.get(1)), f(args.get(2))) else {
        return Ok(Value::Null);
    };
    if x.is_nan() || lo.is_nan() || hi.is_nan() {
        return Err(Error::invalid(
            "2201G",
            "operand, lower bound, and upper bound cannot be NaN",
        ));
    }
    if lo.is_infinite() || hi.is_infinite() {
        return Err(Error::invalid(
            "2201G",
            "lower and upper bounds must be finite",
        ));
    }
    let count = int_arg(args.get(3)).unwrap_or(0);
    if count <= 0 {
        return Err(Error::invalid("2201G", "count must be greater than zero"));
    }
    if lo == hi {
        return Err(Error::invalid(
            "2201G",
            "lower bound cannot equal upper bound",
        ));
    }
    let n = count as f64;
    let bucket = if lo < hi {
        if x < lo {
            0
        } else if x >= hi {
            count + 1
        } else {
            ((n * (x - lo) / (hi - lo)).floor() as i64) + 1
        }
    } else if x > lo {
        0
    } else if x <= hi {
        count + 1
    } else {
        ((n * (lo - x) / (lo - hi)).floor() as i64) + 1
    };
    Ok(Value::Int4(i32::try_from(bucket).map_err(|_| {
        Error::OutOfRange("integer out of range".into())
    })?))
}

/// `width_bucket(x, thresholds)`: the number of the bucket x falls in, given the buckets'
/// lower bounds in ascending order (0 below the first), found by PostgreSQL's binary search
/// (so an unsorted array answers as it does there).
fn width_bucket_array(args: &[Value]) -> Result<Value> {
    let (Some(x), Some(Value::Array(thresholds))) = (args.first(), args.get(1)) else {
        return Ok(Value::Null);
    };
    if x.is_null() {
        return Ok(Value::Null);
    }
    if thresholds.ndims() > 1 {
        return Err(Error::invalid(
            "2202E",
            "thresholds must be one-dimensional array",
        ));
    }
    let bounds = thresholds.elements();
    if bounds.iter().any(Value::is_null) {
        return Err(Error::invalid(
            "22004",
            "thresholds array must not contain NULLs",
        ));
    }
    let (mut left, mut right) = (0, bounds.len());
    while left < right {
        let mid = (left + right) / 2;
        if x.sql_cmp(&bounds[mid]) == std::cmp::Ordering::Less {
            right = mid;
        } else {
            left = mid + 1;
        }
    }
    Ok(Value::Int4(i32::try_from(left).unwrap_or(i32::MAX)))
}

/// `factorial(n)` as numeric.
fn factorial(n: i64) -> Result<Value> {
    if n < 0 {
        return Err(Error::OutOfRange(
            "factorial of a negative number is undefined".into(),
        ));
    }
    if n > 10_000 {
        return Err(Error::OutOfRange("value overflows numeric format".into()));
    }
    let mut r = BigDecimal::from(1);
    for i in 2..=n {
        r *= BigDecimal::from(i);
    }
    Ok(Value::Numeric(Numeric::Finite(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values glibc's `cbrt` returns (and so PostgreSQL 15's `cbrt` prints), bit for bit.
    #[test]
    fn cbrt_matches_glibc() {
        assert_eq!(cbrt(27.0), 3.000_000_000_000_000_4);
        assert_eq!(cbrt(-27.0), -3.000_000_000_000_000_4);
        assert_eq!(cbrt(8.0), 2.0);
        assert_eq!(cbrt(2.0), 1.259_921_049_894_873_4);
        assert_eq!(cbrt(5e-324), 1.703_183_936_003_260_1e-108);
        assert_eq!(cbrt(1e308), 4.641_588_833_612_78e102);
        assert!(cbrt(f64::NAN).is_nan());
        assert_eq!(cbrt(f64::NEG_INFINITY), f64::NEG_INFINITY);
    }

    #[test]
    fn frexp_splits_normal_and_subnormal_numbers() {
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(frexp(0.75), (0.75, 0));
        assert_eq!(frexp(5e-324), (0.5, -1073));
    }
}
