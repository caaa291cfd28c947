//! `vdb log --graph`: the ASCII commit graph of `git log --graph --oneline`.
//!
//! The graph is a list of lanes, each waiting for one commit. A commit is drawn as `*` in its
//! lane (a new lane on the right if no shown child waits for it); then its lane is handed to
//! its parents: the first parent keeps the lane, further parents of a merge open lanes just to
//! its right, and a parent that another lane already waits for joins that lane instead. The
//! move from the old lanes to the new is drawn with `|`, `\` and `/`, every edge moving at
//! most one column per line, so that long moves take several lines. Commits are ordered so that
//! every commit comes after all its shown children ([`topo_order`]), whatever the clocks say.

use std::collections::{HashMap, HashSet};
use vdb_engine::Hash;

/// Reorders `commits` (newest first, each with its parents) so that no commit comes before a
/// child of it, keeping the given order wherever it already does.
pub fn topo_order(commits: Vec<(Hash, Vec<Hash>)>) -> Vec<(Hash, Vec<Hash>)> {
    let shown: HashSet<Hash> = commits.iter().map(|c| c.0).collect();
    let mut children: HashMap<Hash, usize> = HashMap::new();
    for (_, parents) in &commits {
        for p in parents.iter().filter(|p| shown.contains(p)) {
            *children.entry(*p).or_default() += 1;
        }
    }
    let mut pending = commits;
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        // The first commit whose children are all out; a cycle cannot happen in a commit graph,
        // but take the first commit anyway rather than loop.
        let next = pending
            .iter()
            .position(|(h, _)| children.get(h).copied().unwrap_or(0) == 0)
            .unwrap_or(0);
        let (hash, parents) = pending.remove(next);
        for p in &parents {
            if let Some(n) = children.get_mut(p) {
                *n = n.saturating_sub(1);
            }
        }
        out.push((hash, parents));
    }
    out
}

/// What to print for one commit: its row prefix (`| * |`), to which the caller appends the
/// commit's text; the prefix of any further lines about the commit (`| | |`, the commit's own
/// lane blank if it has no parent); then the lines leading to the next commit's lanes.
#[derive(Debug)]
pub struct Drawn {
    pub row: String,
    pub continuation: String,
    pub transition: Vec<String>,
}

/// The lanes between commits.
#[derive(Debug, Default)]
pub struct Graph {
    lanes: Vec<Hash>,
}

impl Graph {
    /// Draws one commit and moves the lanes on to its parents.
    pub fn commit(&mut self, hash: Hash, parents: &[Hash]) -> Drawn {
        let lane = match self.lanes.iter().position(|h| *h == hash) {
            Some(i) => i,
            None => {
                self.lanes.push(hash);
                self.lanes.len() - 1
            }
        };
        let row: Vec<&str> = (0..self.lanes.len())
            .map(|k| if k == lane { "*" } else { "|" })
            .collect();
        let continuation: Vec<&str> = (0..self.lanes.len())
            .map(|k| {
                if k == lane && parents.is_empty() {
                    " "
                } else {
                    "|"
                }
            })
            .collect();
        // The new lanes: the commit's lane replaced by those of its parents that no other lane
        // waits for.
        let mut next: Vec<Hash> = self.lanes[..lane].to_vec();
        let mut seen: HashSet<Hash> = self
            .lanes
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != lane)
            .map(|(_, h)| *h)
            .collect();
        for p in parents {
            if seen.insert(*p) {
                next.push(*p);
            }
        }
        next.extend_from_slice(&self.lanes[lane + 1..]);
        let target = |h: &Hash| next.iter().position(|n| n == h);
        let mut edges: Vec<(usize, usize)> = Vec::new();
        for (k, h) in self.lanes.iter().enumerate() {
            if k == lane {
                edges.extend(parents.iter().filter_map(|p| Some((k, target(p)?))));
            } else if let Some(t) = target(h) {
                edges.push((k, t));
            }
        }
        edges.dedup();
        // As git does, a row that opens lanes (a merge) is padded to the width they will take.
        let width = 2 * self.lanes.len().max(next.len()) - 1;
        self.lanes = next;
        Drawn {
            row: format!("{:width$} ", row.join(" ")),
            continuation: format!("{:width$} ", continuation.join(" ")),
            transition: transition(edges),
        }
    }
}

/// The lines drawing `edges` (from old lane to new lane), each edge moving one column a line;
/// none when every edge goes straight down.
fn transition(mut edges: Vec<(usize, usize)>) -> Vec<String> {
    let mut lines = Vec::new();
    while edges.iter().any(|(from, to)| from != to) {
        let width = edges
            .iter()
            .map(|(f, t)| 2 * f.max(t) + 2)
            .max()
            .unwrap_or(0);
        let mut line = vec![' '; width];
        for (from, to) in &mut edges {
            if from == to {
                line[2 * *from] = '|';
            } else if to > from {
                line[2 * *from + 1] = '\\';
                *from += 1;
            } else {
                line[2 * *from - 1] = '/';
                *from -= 1;
            }
        }
        lines.push(line.into_iter().collect::<String>().trim_end().to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> Hash {
        Hash([n; 20])
    }

    /// Draws a history given newest first as (commit, parents).
    fn draw(commits: &[(u8, &[u8])]) -> String {
        let mut graph = Graph::default();
        let mut out = String::new();
        for (c, parents) in commits {
            let parents: Vec<Hash> = parents.iter().map(|p| h(*p)).collect();
            let drawn = graph.commit(h(*c), &parents);
            out.push_str(&format!("{}{c}\n", drawn.row));
            for line in drawn.transition {
                out.push_str(&format!("{line}\n"));
            }
        }
        out
    }

    #[test]
    fn a_merge_opens_a_lane_that_joins_back_at_the_fork() {
        // 5 merges 4 (on a branch from 2) into 3.
        let text = draw(&[(5, &[3, 4]), (4, &[2]), (3, &[2]), (2, &[1]), (1, &[])]);
        assert_eq!(text, "*   5\n|\\\n| * 4\n* | 3\n|/\n* 2\n* 1\n");
    }

    #[test]
    fn lanes_shift_left_when_one_ends_and_moves_take_a_line_per_column() {
        // 9 merges 1, 2 and 3, which all come from 0.
        let text = draw(&[(9, &[1, 2, 3]), (1, &[0]), (2, &[0]), (3, &[0]), (0, &[])]);
        assert_eq!(
            text,
            "*     9\n|\\\n| |\\\n* | | 1\n| * | 2\n|/ /\n| * 3\n|/\n* 0\n"
        );
    }

    #[test]
    fn a_linear_history_is_one_lane() {
        assert_eq!(draw(&[(2, &[1]), (1, &[])]), "* 2\n* 1\n");
    }

    #[test]
    fn children_come_before_parents_whatever_the_input_order() {
        let order = topo_order(vec![(h(1), vec![]), (h(2), vec![h(1)])]);
        assert_eq!(order[0].0, h(2));
    }
}
