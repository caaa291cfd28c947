//! `AddressFilter`: a Bloom filter of the chunk addresses the store holds, so that `put`, which
//! must not write a chunk the store already has, can tell most new chunks apart from stored ones
//! without a sled lookup (a fifth of a commit's time under pgbench was such lookups, nearly all
//! finding nothing).
//!
//! The filter is filled once per `open`, by a background thread walking sled's `chunks` tree,
//! and by every `put` after that. Until the walk is done it answers "maybe" for everything. It
//! never forgets an address (one a collection removed only costs a lookup), so "no" is always
//! right: the store then knows, without asking sled, that the address is absent from the index.

use crate::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Bits set per address.
const PROBES: u64 = 4;

pub(super) struct AddressFilter {
    words: Vec<AtomicU64>,
    /// Number of bits minus one (the bit count is a power of two).
    mask: u64,
    /// Set once every address the index held at `open` is in.
    ready: AtomicBool,
    /// Set when the store closes: the walk stops early.
    cancelled: AtomicBool,
}

impl AddressFilter {
    /// A filter sized for about `expected` addresses (16 bits each: under 1 % false positives
    /// at that count), at least 2^20 bits.
    pub(super) fn new(expected: u64) -> AddressFilter {
        let bits = (expected.saturating_mul(16))
            .next_power_of_two()
            .max(1 << 20);
        AddressFilter {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            mask: bits - 1,
            ready: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
        }
    }

    /// The bit positions of `addr`: addresses are blake3 hashes, so their bytes are already
    /// uniform; two words of them drive double hashing.
    fn positions(&self, addr: &Hash) -> impl Iterator<Item = u64> + '_ {
        let bytes = addr.as_bytes();
        let word = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let (h1, h2) = (word(0), word(8) | 1);
        (0..PROBES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) & self.mask)
    }

    pub(super) fn insert(&self, addr: &Hash) {
        for bit in self.positions(addr) {
            self.words[(bit / 64) as usize].fetch_or(1 << (bit % 64), Ordering::Relaxed);
        }
    }

    /// `false` only if the store's index certainly lacks `addr`.
    pub(super) fn may_contain(&self, addr: &Hash) -> bool {
        if !self.ready.load(Ordering::Acquire) {
            return true;
        }
        self.positions(addr).all(|bit| {
            self.words[(bit / 64) as usize].load(Ordering::Relaxed) & (1 << (bit % 64)) != 0
        })
    }

    /// Marks the walk of the index done: from now on "no" answers are given.
    pub(super) fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    pub(super) fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub(super) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(i: u32) -> Hash {
        Hash::of(&i.to_le_bytes())
    }

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let filter = AddressFilter::new(10_000);
        for i in 0..10_000 {
            filter.insert(&addr(i));
        }
        assert!(
            (0..1000).all(|i| filter.may_contain(&addr(i + 20_000))),
            "not ready: everything is a maybe"
        );
        filter.set_ready();
        assert!((0..10_000).all(|i| filter.may_contain(&addr(i))));
        let false_positives = (10_000..110_000)
            .filter(|&i| filter.may_contain(&addr(i)))
            .count();
        assert!(
            false_positives < 1_000,
            "{false_positives} false positives in 100,000"
        );
    }
}
