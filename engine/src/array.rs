//! An array value as PostgreSQL holds one: a flat list of elements in row-major order plus a
//! shape, one [`Dim`] (length and lower bound) per dimension, outermost first.
//!
//! Invariants, kept by every constructor: the product of the dimension lengths equals the
//! number of elements; an array with no elements has no dimensions (PostgreSQL's empty array,
//! `{}`, has ndims 0); there are at most [`MAX_DIMS`] dimensions; every upper bound
//! (`lower + len - 1`) fits an i32. The common case, one dimension starting at 1, is what
//! [`Array::new`] builds; the codecs keep its historical byte layout and add the shape only
//! for other arrays.
//!
//! Element order is PostgreSQL's `array_cmp`: elements pairwise (NULLs last), then the element
//! count, then the number of dimensions, then the lengths, then the lower bounds.

use std::cmp::Ordering;
use std::ops::Deref;

use crate::value::Value;

/// PostgreSQL's MAXDIM: the most dimensions an array may have.
pub const MAX_DIMS: usize = 6;

/// One dimension of an array: how many entries it has and the subscript of the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dim {
    pub len: usize,
    pub lower: i32,
}

impl Dim {
    /// The subscript of the last entry, `lower + len - 1` (an i64, so it never overflows).
    pub fn upper(&self) -> i64 {
        i64::from(self.lower) + i64::try_from(self.len).unwrap_or(i64::MAX) - 1
    }
}

/// Why a shape cannot hold a list of elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeError {
    /// More than [`MAX_DIMS`] dimensions (PostgreSQL's 54000).
    TooManyDims(usize),
    /// The lengths multiply to a different count than the elements (PostgreSQL's 2202E).
    CountMismatch,
    /// `lower + len - 1` does not fit an i32 (PostgreSQL's 54000).
    UpperTooLarge,
}

/// An array: elements in row-major order and one [`Dim`] per dimension.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Array {
    elements: Vec<Value>,
    dims: Vec<Dim>,
}

impl Array {
    /// A one-dimensional array with lower bound 1, or the empty array if `elements` is empty.
    pub fn new(elements: Vec<Value>) -> Array {
        let dims = match elements.len() {
            0 => Vec::new(),
            len => vec![Dim { len, lower: 1 }],
        };
        Array { elements, dims }
    }

    /// An array of the given shape. A dimension of length 0 makes the empty array (as in
    /// PostgreSQL, where such an array has no dimensions at all).
    pub fn with_dims(elements: Vec<Value>, dims: Vec<Dim>) -> Result<Array, ShapeError> {
        if dims.len() > MAX_DIMS {
            return Err(ShapeError::TooManyDims(dims.len()));
        }
        let count = dims
            .iter()
            .try_fold(1usize, |n, d| n.checked_mul(d.len))
            .ok_or(ShapeError::CountMismatch)?;
        if dims.is_empty() || count == 0 {
            return match elements.is_empty() {
                true => Ok(Array::default()),
                false => Err(ShapeError::CountMismatch),
            };
        }
        if count != elements.len() {
            return Err(ShapeError::CountMismatch);
        }
        if dims.iter().any(|d| d.upper() > i64::from(i32::MAX)) {
            return Err(ShapeError::UpperTooLarge);
        }
        Ok(Array { elements, dims })
    }

    /// The elements in row-major order.
    pub fn elements(&self) -> &[Value] {
        &self.elements
    }

    /// The elements, to change in place (the count, and so the shape, stays).
    pub fn elements_mut(&mut self) -> &mut [Value] {
        &mut self.elements
    }

    /// The elements, dropping the shape.
    pub fn into_elements(self) -> Vec<Value> {
        self.elements
    }

    /// The elements and the shape.
    pub fn into_parts(self) -> (Vec<Value>, Vec<Dim>) {
        (self.elements, self.dims)
    }

    /// The dimensions, outermost first; empty for the empty array.
    pub fn dims(&self) -> &[Dim] {
        &self.dims
    }

    /// The number of dimensions (0 for the empty array).
    pub fn ndims(&self) -> usize {
        self.dims.len()
    }

    /// Whether the shape is the one [`Array::new`] gives: one dimension from 1, or none.
    pub fn is_plain(&self) -> bool {
        match self.dims.as_slice() {
            [] => true,
            [d] => d.lower == 1,
            _ => false,
        }
    }

    /// The same elements with a new element list of equal count (for element-wise maps).
    pub fn map_elements(self, f: impl FnMut(Value) -> Value) -> Array {
        let elements: Vec<Value> = self.elements.into_iter().map(f).collect();
        Array {
            elements,
            dims: self.dims,
        }
    }

    /// Like [`Array::map_elements`], stopping at the first error.
    pub fn try_map_elements<E>(self, f: impl FnMut(Value) -> Result<Value, E>) -> Result<Array, E> {
        let elements = self
            .elements
            .into_iter()
            .map(f)
            .collect::<Result<Vec<_>, E>>()?;
        Ok(Array {
            elements,
            dims: self.dims,
        })
    }

    /// PostgreSQL's `array_cmp`, with `cmp` ordering two elements.
    pub fn cmp_by(&self, other: &Array, cmp: impl Fn(&Value, &Value) -> Ordering) -> Ordering {
        self.elements
            .iter()
            .zip(&other.elements)
            .map(|(x, y)| cmp(x, y))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| self.cmp_shape(other))
    }

    /// The tie-break of `array_cmp` after equal leading elements: count, ndims, lengths, lower
    /// bounds.
    pub fn cmp_shape(&self, other: &Array) -> Ordering {
        let lens = |a: &Array| a.dims.iter().map(|d| d.len).collect::<Vec<_>>();
        let lowers = |a: &Array| a.dims.iter().map(|d| d.lower).collect::<Vec<_>>();
        self.elements
            .len()
            .cmp(&other.elements.len())
            .then(self.dims.len().cmp(&other.dims.len()))
            .then_with(|| lens(self).cmp(&lens(other)))
            .then_with(|| lowers(self).cmp(&lowers(other)))
    }
}

impl Deref for Array {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        &self.elements
    }
}

impl From<Vec<Value>> for Array {
    fn from(elements: Vec<Value>) -> Array {
        Array::new(elements)
    }
}

impl FromIterator<Value> for Array {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Array {
        Array::new(iter.into_iter().collect())
    }
}

impl IntoIterator for Array {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.elements.into_iter()
    }
}

impl<'a> IntoIterator for &'a Array {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.elements.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(n: i32) -> Vec<Value> {
        (1..=n).map(Value::Int4).collect()
    }

    #[test]
    fn shapes_are_checked() {
        let dims = |d: &[(usize, i32)]| d.iter().map(|&(len, lower)| Dim { len, lower }).collect();
        assert!(Array::with_dims(ints(4), dims(&[(2, 1), (2, 1)])).is_ok());
        assert_eq!(
            Array::with_dims(ints(3), dims(&[(2, 1), (2, 1)])),
            Err(ShapeError::CountMismatch)
        );
        assert_eq!(
            Array::with_dims(vec![], dims(&[(0, 5)])),
            Ok(Array::default())
        );
        assert_eq!(
            Array::with_dims(ints(2), dims(&[(2, i32::MAX)])),
            Err(ShapeError::UpperTooLarge)
        );
        assert_eq!(
            Array::with_dims(ints(1), dims(&[(1, 1); 7])),
            Err(ShapeError::TooManyDims(7))
        );
        assert!(Array::new(ints(3)).is_plain());
        assert!(!Array::with_dims(ints(3), dims(&[(3, 0)]))
            .unwrap()
            .is_plain());
    }

    #[test]
    fn order_is_elements_then_shape() {
        let flat = Array::new(ints(4));
        let square = Array::with_dims(
            ints(4),
            vec![Dim { len: 2, lower: 1 }, Dim { len: 2, lower: 1 }],
        )
        .unwrap();
        let cmp = |a: &Value, b: &Value| a.sql_cmp(b);
        assert_eq!(flat.cmp_by(&square, cmp), Ordering::Less);
        assert_eq!(Array::new(ints(3)).cmp_by(&square, cmp), Ordering::Less);
        assert_eq!(
            Array::new(vec![Value::Int4(2)]).cmp_by(&square, cmp),
            Ordering::Greater
        );
    }
}
