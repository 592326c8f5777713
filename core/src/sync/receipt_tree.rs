//! The hash tree behind batch receipts: the drop box signs one root for every submission
//! stored by one batch request, and each receipt carries the path from its own leaf to that
//! root, so it still proves its delivery alone (docs/protocol.md, "Batches").
//!
//! Leaves are `SHA-256(0x00 || message)`, inner nodes `SHA-256(0x01 || left || right)`
//! (the prefixes keep a leaf from passing for a node). A level with an odd number of nodes
//! lifts its last node unchanged to the next level, so a path holds one sibling for each
//! level where the node has one: at most 5 for the largest batch (32 leaves). The root
//! does not fix the number of leaves (a lifted node reaches the same root in a tree one
//! leaf larger), so the signed message carries the size beside the root.

use ring::digest::{Context, SHA256};

/// A node of the tree.
pub type Hash = [u8; 32];

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// The leaf of one receipt's signed message.
pub fn leaf(message: &[u8]) -> Hash {
    let mut context = Context::new(&SHA256);
    context.update(&[LEAF_PREFIX]);
    context.update(message);
    finish(context)
}

fn node(left: &Hash, right: &Hash) -> Hash {
    let mut context = Context::new(&SHA256);
    context.update(&[NODE_PREFIX]);
    context.update(left);
    context.update(right);
    finish(context)
}

fn finish(context: Context) -> Hash {
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

/// The root of `leaves` and each leaf's path to it (siblings from the bottom up).
/// `None` for no leaves.
pub fn root_and_paths(leaves: &[Hash]) -> Option<(Hash, Vec<Vec<Hash>>)> {
    if leaves.is_empty() {
        return None;
    }
    let mut paths = vec![Vec::new(); leaves.len()];
    let mut level = leaves.to_vec();
    let mut shift = 0u32;
    while level.len() > 1 {
        for (index, path) in paths.iter_mut().enumerate() {
            let sibling = (index >> shift) ^ 1;
            if let Some(hash) = level.get(sibling) {
                path.push(*hash);
            }
        }
        level = level
            .chunks(2)
            .filter_map(|pair| match pair {
                [left, right] => Some(node(left, right)),
                [only] => Some(*only),
                _ => None,
            })
            .collect();
        shift += 1;
    }
    Some((level[0], paths))
}

/// The root that `leaf` at `index` of a tree of `size` leaves reaches through `path`, or
/// `None` when the path does not fit that position (too short, too long, index out of
/// range).
pub fn root_from_path(leaf: Hash, index: usize, size: usize, path: &[Hash]) -> Option<Hash> {
    if index >= size {
        return None;
    }
    let mut hash = leaf;
    let mut position = index;
    let mut width = size;
    let mut siblings = path.iter();
    while width > 1 {
        let sibling = position ^ 1;
        if sibling < width {
            let other = siblings.next()?;
            hash = if position & 1 == 1 {
                node(other, &hash)
            } else {
                node(&hash, other)
            };
        }
        position >>= 1;
        width = width.div_ceil(2);
    }
    match siblings.next() {
        Some(_) => None,
        None => Some(hash),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(count: usize) -> Vec<Hash> {
        (0..count)
            .map(|n| leaf(format!("m{n}").as_bytes()))
            .collect()
    }

    #[test]
    fn every_leaf_of_every_size_reaches_the_root_and_only_at_its_own_index() {
        for size in 1..=33 {
            let leaves = leaves(size);
            let (root, paths) = root_and_paths(&leaves).unwrap();
            for (index, path) in paths.iter().enumerate() {
                assert!(path.len() <= 6, "size {size}: path of {}", path.len());
                assert_eq!(
                    root_from_path(leaves[index], index, size, path),
                    Some(root),
                    "size {size}, index {index}"
                );
                // Another leaf or another index does not reach it. (Another size may: the
                // signed message binds the size beside the root, see `wire`.)
                let other = leaves[(index + 1) % size];
                if size > 1 {
                    assert_ne!(root_from_path(other, index, size, path), Some(root));
                    let moved = (index + 1) % size;
                    assert_ne!(root_from_path(leaves[index], moved, size, path), Some(root));
                }
            }
        }
    }

    #[test]
    fn known_shapes() {
        let l = leaves(3);
        let (root, paths) = root_and_paths(&l).unwrap();
        // Three leaves: (l0 l1) then l2 lifted.
        assert_eq!(root, node(&node(&l[0], &l[1]), &l[2]));
        assert_eq!(paths[0], vec![l[1], l[2]]);
        assert_eq!(paths[2], vec![node(&l[0], &l[1])]);
        let (single, single_paths) = root_and_paths(&l[..1]).unwrap();
        assert_eq!(single, l[0]);
        assert!(single_paths[0].is_empty());
        assert!(root_and_paths(&[]).is_none());
    }

    #[test]
    fn paths_of_the_wrong_length_or_position_reach_nothing() {
        let l = leaves(4);
        let (root, paths) = root_and_paths(&l).unwrap();
        let mut long = paths[1].clone();
        long.push(l[0]);
        assert_eq!(root_from_path(l[1], 1, 4, &long), None);
        assert_eq!(root_from_path(l[1], 1, 4, &paths[1][..1]), None);
        assert_eq!(root_from_path(l[1], 4, 4, &paths[1]), None);
        assert_eq!(root_from_path(l[1], 0, 0, &[]), None);
        assert_eq!(root_from_path(l[1], 1, 4, &paths[1]), Some(root));
    }

    #[test]
    fn a_leaf_is_not_a_node() {
        let l = leaves(2);
        let mut joined = l[0].to_vec();
        joined.extend_from_slice(&l[1]);
        assert_ne!(leaf(&joined), node(&l[0], &l[1]));
    }
}
