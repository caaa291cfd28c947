//! `to_char(number, format)` and `to_number(text, format)` with PostgreSQL's numeric template
//! patterns: `9` (digit or blank), `0` (digit or zero), `.`/`D` (point), `,`/`G` (group
//! separator, blank before the first digit), `FM` (no padding, no trailing fractional zeros
//! for `9`), `S`, `MI`, `PL`, `SG`, `PR` (sign placement), `EEEE` (scientific notation),
//! `TH`/`th` (ordinal suffix), `RN`/`rn` (Roman numerals); other characters print as they are.
//! Without a sign pattern one leading position holds `-` or a blank, as in PostgreSQL.

use bigdecimal::{BigDecimal, RoundingMode, Signed, Zero};
use vdb_engine::value::{Numeric, Value};

use crate::error::{Error, Result};

#[derive(Clone, Copy, PartialEq)]
enum Item {
    Nine,
    Zero,
    Point,
    Group,
    Sign,
    Minus,
    Plus,
    PlusMinus,
    Angle,
    /// `TH` or `th`: the ordinal suffix of the integer part, upper-case or not.
    Ordinal(bool),
    Lit(char),
}

struct Format {
    items: Vec<Item>,
    fill_mode: bool,
    int_digits: usize,
    frac_digits: usize,
}

fn parse(fmt: &str) -> Result<Format> {
    let mut items = Vec::new();
    let mut fill_mode = false;
    let upper: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let at = |i: usize, s: &str| -> bool {
        let w: Vec<char> = s.chars().collect();
        upper.len() >= i + w.len()
            && upper[i..i + w.len()]
                .iter()
                .zip(&w)
                .all(|(a, b)| a.to_ascii_uppercase() == *b)
    };
    while i < upper.len() {
        let (item, len) = if at(i, "FM") {
            fill_mode = true;
            i += 2;
            continue;
        } else if at(i, "MI") {
            (Item::Minus, 2)
        } else if at(i, "PL") {
            (Item::Plus, 2)
        } else if at(i, "SG") {
            (Item::PlusMinus, 2)
        } else if at(i, "PR") {
            (Item::Angle, 2)
        } else if at(i, "TH") {
            (Item::Ordinal(upper[i] == 'T'), 2)
        } else if at(i, "V") {
            return Err(Error::Unsupported(format!("to_char format {fmt}")));
        } else {
            let c = upper[i];
            (
                match c.to_ascii_uppercase() {
                    '9' => Item::Nine,
                    '0' => Item::Zero,
                    '.' | 'D' => Item::Point,
                    ',' | 'G' => Item::Group,
                    'S' => Item::Sign,
                    _ => Item::Lit(c),
                },
                1,
            )
        };
        items.push(item);
        i += len;
    }
    let point = items.iter().position(|i| *i == Item::Point);
    let digit = |i: &&Item| matches!(i, Item::Nine | Item::Zero);
    let (int_digits, frac_digits) = match point {
        Some(p) => (
            items[..p].iter().filter(digit).count(),
            items[p..].iter().filter(digit).count(),
        ),
        None => (items.iter().filter(digit).count(), 0),
    };
    Ok(Format {
        items,
        fill_mode,
        int_digits,
        frac_digits,
    })
}

fn decimal(v: Option<&Value>) -> Option<BigDecimal> {
    Some(match v? {
        Value::Int2(n) => BigDecimal::from(*n),
        Value::Int4(n) => BigDecimal::from(*n),
        Value::Int8(n) => BigDecimal::from(*n),
        Value::Numeric(Numeric::Finite(d)) => d.clone(),
        Value::Float4(f) => f.to_string().parse().ok()?,
        Value::Float8(f) => f.to_string().parse().ok()?,
        _ => return None,
    })
}

/// `to_char(number, format)`.
pub(super) fn to_char(v: Option<&Value>, fmt: &str) -> Result<Value> {
    if let Some(text) = scientific(v, fmt)? {
        return Ok(text);
    }
    if let Some(text) = roman(v, fmt) {
        return Ok(text);
    }
    let Some(x) = decimal(v) else {
        return Ok(Value::Null);
    };
    let f = parse(fmt)?;
    let scale = i64::try_from(f.frac_digits).unwrap_or(0);
    let rounded = x.with_scale_round(scale, RoundingMode::HalfUp);
    let negative = rounded.is_negative();
    let text = rounded.abs().to_string();
    let (int_part, frac_part) = match text.split_once('.') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (text, String::new()),
    };
    // A zero integer part prints no digit before a point, but one `0` without a point.
    let int_part = if int_part == "0" && f.frac_digits > 0 {
        String::new()
    } else {
        int_part
    };
    let overflow = int_part.len() > f.int_digits;
    let int_digits: Vec<char> = int_part.chars().collect();
    let frac: Vec<char> = frac_part.chars().collect();
    // In fill mode, trailing fractional zeros under `9` are dropped.
    let mut frac_keep = frac.len();
    if f.fill_mode {
        let kinds: Vec<Item> = f
            .items
            .iter()
            .skip_while(|i| **i != Item::Point)
            .filter(|i| matches!(i, Item::Nine | Item::Zero))
            .copied()
            .collect();
        while frac_keep > 0
            && frac[frac_keep - 1] == '0'
            && kinds.get(frac_keep - 1) == Some(&Item::Nine)
        {
            frac_keep -= 1;
        }
    }
    // An `S` before every digit is anchored to the number: it prints where the default sign
    // would, just before the first digit (`S9.99` of -0.5 is ` -.50`), as `+` or `-`.
    let leading_s = f
        .items
        .iter()
        .take_while(|i| !matches!(i, Item::Nine | Item::Zero | Item::Point))
        .any(|i| *i == Item::Sign);
    let explicit_sign = f.items.iter().any(|i| {
        matches!(i, Item::Minus | Item::Plus | Item::PlusMinus | Item::Angle)
            || (*i == Item::Sign && !leading_s)
    });
    let mut out = String::new();
    let mut int_seen = 0usize; // digit positions passed before the point
    let mut started = false; // a digit (or 0) has been printed
    let mut in_frac = false;
    let mut frac_at = 0usize;
    let mut sign_done = explicit_sign;
    let sign_char = match (negative, leading_s) {
        (true, _) => '-',
        (false, true) => '+',
        (false, false) => ' ',
    };
    let print_sign = !f.fill_mode || negative || leading_s;
    for item in &f.items {
        match item {
            Item::Nine | Item::Zero if !in_frac => {
                let pos_from_right = f.int_digits - int_seen;
                int_seen += 1;
                if overflow {
                    out.push('#');
                    continue;
                }
                let digit = if pos_from_right <= int_digits.len() {
                    Some(int_digits[int_digits.len() - pos_from_right])
                } else {
                    None
                };
                match digit {
                    Some(d) => {
                        if !sign_done {
                            sign_done = true;
                            if print_sign {
                                out.push(sign_char);
                            }
                        }
                        started = true;
                        out.push(d);
                    }
                    None if *item == Item::Zero || started => {
                        if !sign_done {
                            sign_done = true;
                            if print_sign {
                                out.push(sign_char);
                            }
                        }
                        started = true;
                        out.push('0');
                    }
                    None => {
                        if !f.fill_mode {
                            out.push(' ');
                        }
                    }
                }
            }
            Item::Nine | Item::Zero => {
                if overflow {
                    out.push('#');
                } else if frac_at < frac_keep {
                    out.push(frac[frac_at]);
                } else if !f.fill_mode || *item == Item::Zero {
                    out.push(if *item == Item::Zero || !f.fill_mode {
                        '0'
                    } else {
                        ' '
                    });
                }
                frac_at += 1;
            }
            Item::Point => {
                if !sign_done {
                    sign_done = true;
                    if print_sign {
                        out.push(sign_char);
                    }
                }
                in_frac = true;
                out.push(if overflow { '#' } else { '.' });
            }
            Item::Group => {
                if started || overflow {
                    out.push(if overflow { '#' } else { ',' });
                } else if !f.fill_mode {
                    out.push(' ');
                }
            }
            Item::Sign if leading_s => {}
            Item::Sign => out.push(if negative { '-' } else { '+' }),
            Item::Minus => out.push(if negative {
                '-'
            } else if f.fill_mode {
                continue;
            } else {
                ' '
            }),
            Item::Plus => out.push(if negative { ' ' } else { '+' }),
            Item::PlusMinus => out.push(if negative { '-' } else { '+' }),
            Item::Angle => {}
            // As in PostgreSQL, no suffix for a negative number or one with a fraction.
            Item::Ordinal(_) if negative || f.items.contains(&Item::Point) => {}
            Item::Ordinal(upper) => {
                let suffix = ordinal_suffix(&int_part);
                out.push_str(&if *upper {
                    suffix.to_ascii_uppercase()
                } else {
                    suffix.to_string()
                });
            }
            Item::Lit(c) => out.push(*c),
        }
    }
    if f.items.contains(&Item::Angle) {
        out = if negative {
            // The `<` takes the sign's place, just before the first digit; the blanks of
            // unused digit positions stay in front of it.
            let digits = out.trim_start();
            format!("{}<{digits}>", &out[..out.len() - digits.len()])
        } else if f.fill_mode {
            out
        } else {
            format!(" {out} ")
        };
    }
    if !sign_done && (!f.fill_mode || leading_s) {
        out.insert(0, sign_char);
    }
    Ok(Value::Text(out))
}

/// The English ordinal suffix of a number written in decimal digits.
fn ordinal_suffix(digits: &str) -> &'static str {
    let last_two = digits.len().saturating_sub(2);
    match (&digits[last_two..], digits.chars().last()) {
        ("11" | "12" | "13", _) => "th",
        (_, Some('1')) => "st",
        (_, Some('2')) => "nd",
        (_, Some('3')) => "rd",
        _ => "th",
    }
}

/// `to_char(x, 'RN')`: the value rounded to an integer in Roman numerals, right-aligned in 15
/// characters (`FMRN` unpadded, `rn` in lower case); `#`s outside 1..3999. `None` when the
/// format is not `RN`.
fn roman(v: Option<&Value>, fmt: &str) -> Option<Value> {
    let fill_mode = fmt.len() > 2 && fmt[..2].eq_ignore_ascii_case("FM");
    let body = if fill_mode { &fmt[2..] } else { fmt };
    if !body.eq_ignore_ascii_case("RN") {
        return None;
    }
    let Some(x) = decimal(v) else {
        return Some(Value::Null);
    };
    let n = x
        .with_scale_round(0, RoundingMode::HalfUp)
        .to_string()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=3999).contains(n));
    let Some(mut n) = n else {
        return Some(Value::Text("#".repeat(15)));
    };
    let mut text = String::new();
    for (value, numeral) in [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ] {
        while n >= value {
            text.push_str(numeral);
            n -= value;
        }
    }
    if body == "rn" {
        text = text.to_ascii_lowercase();
    }
    Some(Value::Text(if fill_mode {
        text
    } else {
        format!("{text:>15}")
    }))
}

/// `to_char(x, '9[.99...]EEEE')`: scientific notation with as many fraction digits as the
/// format has after its point, the exponent signed and at least two digits (` 1.23e+03`);
/// `None` when the format has no `EEEE`. Floats are rounded from their binary value (as C's
/// `%e` does in PostgreSQL); numerics half away from zero, without renormalizing a mantissa
/// that rounds up to 10 (`10.00e+00`), as PostgreSQL prints them.
fn scientific(v: Option<&Value>, fmt: &str) -> Result<Option<Value>> {
    let upper = fmt.to_ascii_uppercase();
    let Some(at) = upper.find("EEEE") else {
        return Ok(None);
    };
    let syntax = |message: &str| Error::Syntax {
        message: message.to_string(),
        position: None,
    };
    if at + 4 != upper.len() {
        return Err(syntax("\"EEEE\" must be the last pattern used"));
    }
    let body = &upper[..at];
    let (int, frac) = body.split_once(['.', 'D']).unwrap_or((body, ""));
    let digits = |t: &str| t.chars().all(|c| c == '9' || c == '0');
    if !digits(int) || !digits(frac) {
        return Err(syntax("\"EEEE\" is incompatible with other formats"));
    }
    let precision = frac.len();
    let (negative, mantissa, exponent) = match v {
        None | Some(Value::Null) => return Ok(Some(Value::Null)),
        Some(Value::Float4(f)) => float_parts(f64::from(*f), precision),
        Some(Value::Float8(f)) => float_parts(*f, precision),
        Some(Value::Numeric(Numeric::Finite(d))) => decimal_parts(d, precision),
        other => match decimal(other) {
            Some(d) => decimal_parts(&d, precision),
            None => return Ok(Some(Value::Null)),
        },
    };
    let sign = if negative { '-' } else { ' ' };
    let exponent_sign = if exponent < 0 { '-' } else { '+' };
    Ok(Some(Value::Text(format!(
        "{sign}{mantissa}e{exponent_sign}{:02}",
        exponent.unsigned_abs()
    ))))
}

/// A float as (negative, mantissa with `precision` fraction digits, exponent).
fn float_parts(f: f64, precision: usize) -> (bool, String, i64) {
    let text = format!("{:.precision$e}", f.abs());
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    (
        f.is_sign_negative() && f != 0.0,
        mantissa.to_string(),
        exponent.parse().unwrap_or(0),
    )
}

/// A decimal as (negative, mantissa with `precision` fraction digits, exponent).
fn decimal_parts(d: &BigDecimal, precision: usize) -> (bool, String, i64) {
    if d.is_zero() {
        return (false, format!("{:.precision$}", 0.0), 0);
    }
    let (digits, scale) = d.abs().as_bigint_and_exponent();
    let count = i64::try_from(digits.to_string().len()).unwrap_or(1);
    let places = i64::try_from(precision).unwrap_or(0);
    let mantissa =
        BigDecimal::new(digits, count - 1).with_scale_round(places, RoundingMode::HalfUp);
    (d.is_negative(), mantissa.to_string(), count - 1 - scale)
}

/// `to_number(text, format)`: the digits and point of `s`, negative with a `-` or `<..>`.
pub(super) fn to_number(s: &str, fmt: &str) -> Result<Value> {
    let f = parse(fmt)?;
    let mut digits = String::new();
    let mut negative = false;
    let mut seen_point = false;
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '.' if !seen_point && f.items.contains(&Item::Point) => {
                seen_point = true;
                digits.push('.');
            }
            '-' | '<' => negative = true,
            _ => {}
        }
    }
    if digits.is_empty() || digits == "." {
        return Err(Error::invalid(
            "22P02",
            "invalid input syntax for type numeric: \" \"",
        ));
    }
    let mut d: BigDecimal = digits
        .parse()
        .map_err(|_| Error::invalid_text("numeric", s))?;
    if negative {
        d = -d;
    }
    // The digits read after the point, no more than the template has (`'0.00001-'` read
    // with `9.999999S` is -0.00001, as in PostgreSQL).
    let scale = i64::try_from(f.frac_digits).unwrap_or(0);
    if d.fractional_digit_count() > scale {
        d = d.with_scale_round(scale, RoundingMode::Down);
    }
    Ok(Value::Numeric(Numeric::Finite(d)))
}
