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
//! The size rule ([`LEAF_RULE`], [`INTERNAL_RULE`]): node sizes follow a Weibull distribution with shape k = 4 and scale λ, through
//! the cumulative hazard H(s) = (s / λ)⁴. An entry that grows the node from `s0` to `s1` bytes
//! ends it with probability ≈ H(s1) − H(s0), so the chance a node survives past `s` bytes is
//! ≈ exp(−H(s)). With k = 4 the sizes cluster tightly: mean ≈ 0.906 λ, and 90% of nodes fall
//! between 0.56 λ and 1.28 λ. All arithmetic is integer, so every platform draws the same
//! boundaries.

/// The size rule of one kind of node: the Weibull scale λ and the hard bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeRule {
    /// Mean node size aimed at.
    pub target: u64,
    /// λ⁴, the denominator of H; λ = target / Γ(1 + 1/4) = target / 0.9064.
    scale4: u128,
    /// No boundary before this size.
    pub min: u64,
    /// Always a boundary at this size.
    pub max: u64,
}

/// Leaves: a 4 KiB mean (λ = 4520), the size of a disk page and small enough that a one-row
/// edit rewrites little. No boundary before 512 B, where a node's header and its parent entry
/// would outweigh its content (P(Weibull(4, λ) < 512 B) ≈ 0.02%, so this rarely binds); always one
/// at 16 KiB, which bounds the cost of rewriting a node (P(> 16 KiB) ≈ e⁻¹⁶⁸).
pub const LEAF_RULE: SizeRule = SizeRule {
    target: 4096,
    scale4: 4520u128.pow(4),
    min: 512,
    max: 16384,
};

/// Internal nodes: a 1 KiB mean (λ = 1130), bounds 128 B and 4 KiB, scaled down from the leaves'.
/// An internal entry is mostly a 20-byte address, incompressible, and every edit rewrites one
/// internal node per level above it: with 4 KiB internal nodes, 100 scattered edits in a
/// 1M-row table rewrite about 64 of its ~100 level-1 nodes, as many bytes as the leaves
/// themselves. At 1 KiB they rewrite about 90 nodes of a quarter the size, halving the bytes a
/// commit adds, for one more level (fan-out ≈ 30 instead of ≈ 120) in lookups served from cache.
pub const INTERNAL_RULE: SizeRule = SizeRule {
    target: 1024,
    scale4: 1130u128.pow(4),
    min: 128,
    max: 4096,
};

/// The largest node any level allows.
pub const MAX_SIZE: u64 = LEAF_RULE.max;

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
    rule: SizeRule,
    size: u64,
}

impl WeibullSplitter {
    /// A splitter for nodes at `level`.
    pub fn new(level: u8) -> Self {
        let rule = if level == 0 { LEAF_RULE } else { INTERNAL_RULE };
        WeibullSplitter {
            salt: level_salt(level),
            rule,
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
        if self.size < self.rule.min {
            return false;
        }
        if self.size >= self.rule.max {
            return true;
        }
        below_threshold(
            key_hash(self.salt, key),
            before,
            self.size,
            self.rule.scale4,
        )
    }

    fn reset(&mut self) {
        self.size = 0;
    }
}

/// Whether `h < min(2³², ⌊(H(s1) − H(s0)) · 2³²⌋)` with H(s) = (s / λ)⁴: the boundary test, the
/// probability (H(s1) − H(s0)) scaled to compare with a 32-bit hash. Division-free: for integers,
/// `h < ⌊x / d⌋ ⇔ (h + 1) · d ≤ x`, and h + 1 ≤ 2³² makes the saturation implicit. Sizes are
/// below 2²⁴ (MAX_SIZE plus one entry), so s⁴ < 2⁹⁶ and every product fits in u128.
fn below_threshold(h: u32, s0: u64, s1: u64, scale4: u128) -> bool {
    let (s0, s1) = (u128::from(s0), u128::from(s1));
    let scaled = (s1.pow(4) - s0.pow(4)) << 32;
    (u128::from(h) + 1) * scale4 <= scaled
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
        assert!((3600..4600).contains(&mean), "mean leaf size {mean}");
        assert!(sizes
            .iter()
            .all(|&n| (LEAF_RULE.min..LEAF_RULE.max + 50).contains(&n)));
        // Internal levels aim at a quarter of that.
        let mut s = WeibullSplitter::new(1);
        let mut sizes = Vec::new();
        for i in 0u64..200_000 {
            if s.append(&i.to_be_bytes(), 40) {
                sizes.push(s.size());
                s.reset();
            }
        }
        let mean = sizes.iter().sum::<u64>() / sizes.len() as u64;
        assert!((880..1180).contains(&mean), "mean internal size {mean}");
    }

    #[test]
    fn bounds_are_enforced() {
        let mut s = WeibullSplitter::new(0);
        assert!(!s.append(b"a", LEAF_RULE.min - 1));
        let mut s = WeibullSplitter::new(0);
        assert!(s.append(b"a", LEAF_RULE.max));
        let mut s = WeibullSplitter::new(2);
        assert!(s.append(b"a", INTERNAL_RULE.max));
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
