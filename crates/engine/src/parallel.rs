//! Independent pieces of one op shared out over candle's spinning thread pool (the one the packed
//! matmuls use, sized by `--threads`): per-row work that would otherwise run on the calling
//! thread while the pool's workers spin idle.

/// A pointer to the items, shared by the pool's threads; each index goes to exactly one call.
struct Items<T>(*mut T);
// SAFETY: every item is handed to one thread at a time (see `for_each_mut`), and `T: Send`.
unsafe impl<T: Send> Sync for Items<T> {}

/// Calls `f` on every item, across the pool's threads when there are several items.
pub(crate) fn for_each_mut<T: Send>(items: &mut [T], f: impl Fn(&mut T) + Sync) {
    if items.len() < 2 {
        items.iter_mut().for_each(f);
        return;
    }
    let n = items.len();
    let base = Items(items.as_mut_ptr());
    let base = &base;
    candle_core::utils::barrier_pool().execute_chunked(n, |range| {
        for i in range {
            // SAFETY: `i < n`, the ranges the pool hands out are disjoint, and `items` is
            // borrowed mutably for the whole call, so this is the only reference to item `i`.
            let item = unsafe { &mut *base.0.add(i) };
            f(item);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_visited_once() {
        let mut items: Vec<(usize, u32)> = (0..37).map(|i| (i, 0)).collect();
        for_each_mut(&mut items, |(i, visits)| *visits += 1 + *i as u32);
        assert!(items.iter().all(|&(i, v)| v == 1 + i as u32));
        let mut one = [5u32];
        for_each_mut(&mut one, |v| *v *= 2);
        assert_eq!(one, [10]);
    }
}
