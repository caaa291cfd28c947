//! `AddressFilter`: a Bloom filter of the chunk addresses the store holds, so that `put`, which
//! must not write a chunk the store already has, can tell most new chunks apart from stored ones
//! without a sled lookup (a fifth of a commit's time under pgbench was such lookups, nearly all
//! finding nothing).
//!
//! The filter is filled once per `open`, by a background thread walking sled's `chunks` tree,
//! and by every `put` after that. Until the walk is done it answers "maybe" for everything. It
//! never forgets an address (one a collection removed only costs a lookup), so "no" is always
//! right: the store then knows, without asking sled, that the address is absent from the index.
//! It grows a layer twice as large whenever the newest is full, so a server that writes for
//! days keeps its false positives near the 0.25 % of one full layer per layer.

use crate::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;

/// Bits set per address.
const PROBES: u64 = 4;

/// Bits per address a layer is sized for: about 0.25 % false positives when it is full.
const BITS_PER_ADDRESS: u64 = 16;

pub(super) struct AddressFilter {
    /// Bloom filters, each twice the size of the one before; only the last takes new
    /// addresses, and an address may be in any of them. A filter of fixed size would fill up
    /// under a long-running server's writes until it answered "maybe" to nearly everything.
    layers: RwLock<Vec<Layer>>,
    /// Set once every address the index held at `open` is in.
    ready: AtomicBool,
    /// Set when the store closes: the walk stops early.
    cancelled: AtomicBool,
}

struct Layer {
    words: Vec<AtomicU64>,
    /// Number of bits minus one (the bit count is a power of two).
    mask: u64,
    /// Addresses inserted: once it reaches `bits / BITS_PER_ADDRESS`, a new layer is added.
    inserted: AtomicU64,
}

impl Layer {
    fn new(bits: u64) -> Layer {
        Layer {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            mask: bits - 1,
            inserted: AtomicU64::new(0),
        }
    }

    fn bits(&self) -> u64 {
        self.mask + 1
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

    /// Sets `addr`'s bits; tells whether the layer is now full.
    fn insert(&self, addr: &Hash) -> bool {
        for bit in self.positions(addr) {
            self.words[(bit / 64) as usize].fetch_or(1 << (bit % 64), Ordering::Relaxed);
        }
        self.inserted.fetch_add(1, Ordering::Relaxed) + 1 >= self.bits() / BITS_PER_ADDRESS
    }

    fn may_contain(&self, addr: &Hash) -> bool {
        self.positions(addr).all(|bit| {
            self.words[(bit / 64) as usize].load(Ordering::Relaxed) & (1 << (bit % 64)) != 0
        })
    }
}

impl AddressFilter {
    /// A filter sized for about `expected` addresses (under 1 % false positives at that
    /// count), at least 2^20 bits; it grows by a layer when more come.
    pub(super) fn new(expected: u64) -> AddressFilter {
        let bits = (expected.saturating_mul(BITS_PER_ADDRESS))
            .next_power_of_two()
            .max(1 << 20);
        AddressFilter {
            layers: RwLock::new(vec![Layer::new(bits)]),
            ready: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
        }
    }

    pub(super) fn insert(&self, addr: &Hash) {
        let full = {
            let layers = self.layers.read().expect("filter lock poisoned");
            layers.last().expect("a filter has a layer").insert(addr)
        };
        if full {
            let mut layers = self.layers.write().expect("filter lock poisoned");
            let last = layers.last().expect("a filter has a layer");
            // Another insert may have added the layer meanwhile.
            if last.inserted.load(Ordering::Relaxed) >= last.bits() / BITS_PER_ADDRESS {
                let bits = last.bits() * 2;
                layers.push(Layer::new(bits));
            }
        }
    }

    /// `false` only if the store's index certainly lacks `addr`.
    pub(super) fn may_contain(&self, addr: &Hash) -> bool {
        if !self.ready.load(Ordering::Acquire) {
            return true;
        }
        let layers = self.layers.read().expect("filter lock poisoned");
        layers.iter().rev().any(|layer| layer.may_contain(addr))
    }

    /// How many layers the filter has grown to.
    #[cfg(test)]
    fn layers(&self) -> usize {
        self.layers.read().expect("filter lock poisoned").len()
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

    /// Far more addresses than the filter was sized for: it grows instead of filling up, so
    /// its "no" answers stay nearly always right.
    #[test]
    fn grows_with_its_addresses() {
        let filter = AddressFilter::new(0);
        filter.set_ready();
        let n = 1_000_000;
        for i in 0..n {
            filter.insert(&addr(i));
        }
        assert!(filter.layers() >= 4, "{} layers", filter.layers());
        assert!((0..n).step_by(97).all(|i| filter.may_contain(&addr(i))));
        let false_positives = (n..n + 100_000)
            .filter(|&i| filter.may_contain(&addr(i)))
            .count();
        assert!(
            false_positives < 2_000,
            "{false_positives} false positives in 100,000"
        );
    }
}
