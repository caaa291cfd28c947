//! Statistical aggregates: variance and standard deviation of one input, and covariance,
//! correlation and linear regression over (y, x) pairs, computed as PostgreSQL computes them.
//!
//! Over double precision (and every pair aggregate) the state is the Youngs-Cramer running
//! sums PostgreSQL keeps (N, Sx, Sxx, Sy, Syy, Sxy), updated in the same order so results agree
//! to the last bit. Over integers and numeric, variance and standard deviation keep exact sums
//! and divide with numeric division's scale, then take the square root at that scale, as
//! PostgreSQL's numeric_stddev_internal does.

use bigdecimal::{BigDecimal, RoundingMode, Zero};
use vdb_engine::value::{Numeric, Value};

use crate::error::Result;
use crate::expr::{BinaryOp, Expr};
use crate::planner::Statistic;
use crate::types::cast;

/// The running state of one statistical aggregate.
#[derive(Clone, Debug, Default)]
pub struct Moments {
    /// Exact count, sum and sum of squares (numeric inputs).
    exact: Option<(i64, BigDecimal, BigDecimal)>,
    n: f64,
    sx: f64,
    sxx: f64,
    sy: f64,
    syy: f64,
    sxy: f64,
}

impl Moments {
    /// Adds one input: a number, or for pair aggregates the array `[y, x]`. NULLs are skipped
    /// (a pair with either side NULL too).
    pub fn add(&mut self, value: Value) -> Result<()> {
        match value {
            Value::Null => {}
            Value::Array(pair) => {
                if let [y, x] = pair.elements() {
                    if let (Some(y), Some(x)) = (float(y)?, float(x)?) {
                        self.add_pair(y, x);
                    }
                }
            }
            Value::Float4(_) | Value::Float8(_) => {
                if let Some(x) = float(&value)? {
                    self.add_float(x);
                }
            }
            other => {
                let Value::Numeric(Numeric::Finite(d)) = cast(other, &numeric_type())? else {
                    return Ok(());
                };
                let (n, sum, squares) = self.exact.get_or_insert_with(Default::default);
                *n += 1;
                *squares += &d * &d;
                *sum += d;
            }
        }
        Ok(())
    }

    /// PostgreSQL's float8_accum.
    fn add_float(&mut self, x: f64) {
        let old = self.n;
        self.n += 1.0;
        self.sx += x;
        if old > 0.0 {
            let tmp = x * self.n - self.sx;
            self.sxx += tmp * tmp / (self.n * old);
        } else {
            self.sxx = 0.0 * x;
        }
    }

    /// PostgreSQL's float8_regr_accum.
    fn add_pair(&mut self, y: f64, x: f64) {
        let old = self.n;
        self.n += 1.0;
        self.sx += x;
        self.sy += y;
        if old > 0.0 {
            let tmp_x = x * self.n - self.sx;
            let tmp_y = y * self.n - self.sy;
            let scale = 1.0 / (self.n * old);
            self.sxx += tmp_x * tmp_x * scale;
            self.syy += tmp_y * tmp_y * scale;
            self.sxy += tmp_x * tmp_y * scale;
        } else {
            self.sxx = 0.0 * x;
            self.syy = 0.0 * y;
            self.sxy = 0.0 * x * y;
        }
    }

    /// The aggregate's result.
    pub fn finish(self, statistic: Statistic) -> Result<Value> {
        if let Some((n, sum, squares)) = &self.exact {
            return exact_variance(statistic, *n, sum, squares);
        }
        let n = self.n;
        let f = |v: f64| Value::Float8(v);
        Ok(match statistic {
            Statistic::RegrCount => Value::Int8(n as i64),
            _ if n < 1.0 => Value::Null,
            Statistic::VarPop => f(self.sxx / n),
            Statistic::StddevPop => f((self.sxx / n).sqrt()),
            Statistic::VarSamp | Statistic::StddevSamp | Statistic::CovarSamp if n < 2.0 => {
                Value::Null
            }
            Statistic::VarSamp => f(self.sxx / (n - 1.0)),
            Statistic::StddevSamp => f((self.sxx / (n - 1.0)).sqrt()),
            Statistic::CovarPop => f(self.sxy / n),
            Statistic::CovarSamp => f(self.sxy / (n - 1.0)),
            Statistic::Corr if self.sxx == 0.0 || self.syy == 0.0 => Value::Null,
            Statistic::Corr => f(self.sxy / (self.sxx * self.syy).sqrt()),
            Statistic::RegrSxx => f(self.sxx),
            Statistic::RegrSyy => f(self.syy),
            Statistic::RegrSxy => f(self.sxy),
            Statistic::RegrAvgx => f(self.sx / n),
            Statistic::RegrAvgy => f(self.sy / n),
            Statistic::RegrR2 if self.sxx == 0.0 => Value::Null,
            Statistic::RegrR2 if self.syy == 0.0 => f(1.0),
            Statistic::RegrR2 => f((self.sxy * self.sxy) / (self.sxx * self.syy)),
            Statistic::RegrSlope | Statistic::RegrIntercept if self.sxx == 0.0 => Value::Null,
            Statistic::RegrSlope => f(self.sxy / self.sxx),
            Statistic::RegrIntercept => f((self.sy - self.sx * self.sxy / self.sxx) / n),
        })
    }
}

/// Variance or standard deviation of exact inputs (numeric_stddev_internal).
fn exact_variance(
    statistic: Statistic,
    n: i64,
    sum: &BigDecimal,
    squares: &BigDecimal,
) -> Result<Value> {
    let sample = matches!(statistic, Statistic::VarSamp | Statistic::StddevSamp);
    if n == 0 || (sample && n == 1) {
        return Ok(Value::Null);
    }
    let count = BigDecimal::from(n);
    let numerator = &count * squares - sum * sum;
    if numerator <= BigDecimal::zero() {
        return Ok(Value::Numeric(Numeric::Finite(BigDecimal::zero())));
    }
    let denominator = if sample {
        &count * BigDecimal::from(n - 1)
    } else {
        &count * &count
    };
    let quotient = Expr::Binary(
        BinaryOp::Div,
        Box::new(Expr::Literal(Value::Numeric(Numeric::Finite(numerator)))),
        Box::new(Expr::Literal(Value::Numeric(Numeric::Finite(denominator)))),
    )
    .eval(&[])?;
    let root = matches!(statistic, Statistic::StddevPop | Statistic::StddevSamp);
    Ok(match quotient {
        Value::Numeric(Numeric::Finite(q)) if root => {
            let (_, scale) = q.as_bigint_and_scale();
            let digits = u64::try_from(scale.max(0)).unwrap_or(0) + 40;
            let context = bigdecimal::Context::default().with_precision(
                std::num::NonZeroU64::new(digits).unwrap_or(std::num::NonZeroU64::MIN),
            );
            let r = q.sqrt_with_context(&context).unwrap_or_default();
            Value::Numeric(Numeric::Finite(
                r.with_scale_round(scale, RoundingMode::HalfUp),
            ))
        }
        other => other,
    })
}

fn numeric_type() -> vdb_engine::value::Type {
    vdb_engine::value::Type::Numeric {
        precision_scale: None,
    }
}

fn float(v: &Value) -> Result<Option<f64>> {
    Ok(match cast(v.clone(), &vdb_engine::value::Type::Float8)? {
        Value::Float8(x) => Some(x),
        _ => None,
    })
}
