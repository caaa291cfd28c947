//! The chunk-boundary rule: where one node ends and the next begins.
//!
//! A boundary falls after an entry when a hash of the entry's key (salted by the tree level)
//! falls below a threshold that grows with the bytes accumulated in the node so far. The decision
//! depends only on the key and on the entries since the last boundary, so the same sorted entries
//! always split at the same places, whatever edits produced them: this is what makes prolly trees
//! history-independent, and what lets an edit re-chunk only the nodes it touches (after an edit,
//! the first boundary that falls where an old one did resynchronizes the rest of the level).
//!
//! Values do not take part in the hash (only in the size), so changing a value never moves a
//! boundary unless it changes the value's length.
//!
//! The size rule: node sizes follow a Weibull distribution with shape k = 4 and scale λ, through
//! the cumulative hazard H(s) = (s / λ)⁴. An entry that grows the node from `s0` to `s1` bytes
//! ends it with probability ≈ H(s1) − H(s0), so the chance a node survives past `s` bytes is
//! ≈ exp(−H(s)). With k = 4 the sizes cluster tightly: mean ≈ 0.906 λ, and 90% of nodes fall
//! between 0.56 λ and 1.28 λ. All arithmetic is integer, so every platform draws the same
//! boundaries.

/// Mean node size aimed at: 4 KiB (disk pages, and small enough that a one-row edit rewrites
/// little).
pub const TARGET_SIZE: u64 = 4096;
/// λ = TARGET / Γ(1 + 1/4) = 4096 / 0.9064 ≈ 4520, so that the mean size is the target.
const SCALE: u64 = 4520;
/// No boundary before 512 bytes: avoids tiny nodes (a node's header and its parent entry would
/// outweigh its content). P(a Weibull(4, λ) node is under 512 B) ≈ 0.02%, so this rarely binds.
pub const MIN_SIZE: u64 = 512;
/// Always a boundary at 16 KiB: bounds the cost of rewriting a node. P(over 16 KiB) ≈ e^-168.
pub const MAX_SIZE: u64 = 16384;
/// Bytes counted per entry beyond its key and value: the two length varints and slack.
pub const ENTRY_OVERHEAD: u64 = 4;

/// Decides node boundaries for one level of a tree.
pub trait Splitter {
    /// Accounts for one more entry and returns whether the node should end after it.
    fn append(&mut self, key: &[u8], entry_size: u64) -> bool;
    /// Starts a new node.
    fn reset(&mut self);
}

/// The default splitter: key hash against a size-dependent Weibull threshold.
#[derive(Clone, Debug)]
pub struct WeibullSplitter {
    salt: u64,
    size: u64,
}

impl WeibullSplitter {
    /// A splitter for nodes at `level`.
    pub fn new(level: u8) -> Self {
        WeibullSplitter {
            salt: level_salt(level),
            size: 0,
        }
    }

    /// Bytes accumulated in the current node.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl Splitter for WeibullSplitter {
    fn append(&mut self, key: &[u8], entry_size: u64) -> bool {
        let before = self.size;
        self.size += entry_size;
        if self.size < MIN_SIZE {
            return false;
        }
        if self.size >= MAX_SIZE {
            return true;
        }
        u64::from(key_hash(self.salt, key)) < threshold(before, self.size)
    }

    fn reset(&mut self) {
        self.size = 0;
    }
}

/// (H(s1) − H(s0)) · 2³², saturated at 2³²: the probability of a boundary, scaled to compare
/// with a 32-bit hash. Sizes are below 2²⁴ (MAX_SIZE plus one entry), so s⁴ < 2⁹⁶ and the shifted
/// difference fits in u128.
fn threshold(s0: u64, s1: u64) -> u64 {
    let (s0, s1) = (u128::from(s0), u128::from(s1));
    let scale4 = u128::from(SCALE).pow(4);
    let delta = ((s1.pow(4) - s0.pow(4)) << 32) / scale4;
    delta.min(1 << 32) as u64
}

/// The salt for a level: distinct per level, so a key that ends a leaf does not always end its
/// parent too.
fn level_salt(level: u8) -> u64 {
    0xcbf2_9ce4_8422_2325 ^ (u64::from(level) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// The boundary hash of a key: FNV-1a over the bytes from the level's salt, then the splitmix64
/// finalizer for avalanche; the top 32 bits. Part of the format: changing it changes every tree's
/// shape and so every root hash.
pub fn key_hash(salt: u64, key: &[u8]) -> u32 {
    let mut h = salt;
    for &b in key {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Node sizes from 200,000 50-byte entries cluster around the target, within the bounds.
    #[test]
    fn sizes_cluster_around_target() {
        let mut s = WeibullSplitter::new(0);
        let mut sizes = Vec::new();
        for i in 0u64..200_000 {
            if s.append(&i.to_be_bytes(), 50) {
                sizes.push(s.size());
                s.reset();
            }
        }
        let mean = sizes.iter().sum::<u64>() / sizes.len() as u64;
        assert!((3600..4600).contains(&mean), "mean node size {mean}");
        assert!(sizes
            .iter()
            .all(|&n| (MIN_SIZE..MAX_SIZE + 50).contains(&n)));
    }

    #[test]
    fn bounds_are_enforced() {
        let mut s = WeibullSplitter::new(0);
        assert!(!s.append(b"a", MIN_SIZE - 1));
        let mut s = WeibullSplitter::new(0);
        assert!(s.append(b"a", MAX_SIZE));
    }

    /// Pins the boundary hash; it is part of the format.
    #[test]
    fn golden_key_hash() {
        assert_eq!(
            key_hash(level_salt(0), b"vdb"),
            key_hash(level_salt(0), b"vdb")
        );
        assert_ne!(
            key_hash(level_salt(0), b"vdb"),
            key_hash(level_salt(1), b"vdb")
        );
        assert_eq!(key_hash(level_salt(0), b""), 0xe9d3_2759);
    }
}
