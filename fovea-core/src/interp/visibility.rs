//! Visibility: FOVEA's first-match/default-visible rule, resolved once into sorted disjoint
//! pieces so that every lookup is a binary search and every walk is linear.
//!
//! FOVEA decides a frame's visibility by the *first range in array order* that contains it;
//! frames no range contains are visible. Ranges may overlap and be unsorted.

use crate::model::{Frame, VisibilityRange};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A maximal run of frames whose visibility one range decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    pub start: Frame,
    pub end: Frame,
    pub visible: bool,
    /// Index of the deciding range in the input array.
    pub src: usize,
}

/// Resolves `ranges` into sorted, disjoint pieces covering exactly the covered frames, each
/// labelled with the first range (in array order) that contains it. Adjacent pieces decided
/// by the same range are one piece. Ranges with `start > end` cover nothing.
///
/// A sweep over the 2R range boundaries with a min-heap of active range indices:
/// O(R log R) time, O(R) space — whatever the overlaps.
pub(crate) fn resolve(ranges: &[VisibilityRange]) -> Vec<Piece> {
    // Fast path: already sorted and disjoint (what fovea writes) resolves to itself.
    let sorted_disjoint = ranges.iter().all(|r| r.start_frame <= r.end_frame)
        && ranges.windows(2).all(|w| w[0].end_frame < w[1].start_frame);
    if sorted_disjoint {
        return ranges
            .iter()
            .enumerate()
            .map(|(i, r)| Piece {
                start: r.start_frame,
                end: r.end_frame,
                visible: r.visible,
                src: i,
            })
            .collect();
    }

    // Events: (position, is_end, index). A range covers [start, end], so it leaves at end + 1.
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(ranges.len() * 2);
    for (i, r) in ranges.iter().enumerate() {
        if r.start_frame <= r.end_frame {
            events.push((u64::from(r.start_frame), false, i));
            events.push((u64::from(r.end_frame) + 1, true, i));
        }
    }
    events.sort_unstable();
    let mut active: BinaryHeap<Reverse<usize>> = BinaryHeap::new();
    let mut ended = vec![false; ranges.len()];
    let mut pieces: Vec<Piece> = Vec::new();
    let mut e = 0;
    while e < events.len() {
        let pos = events[e].0;
        while e < events.len() && events[e].0 == pos {
            let (_, is_end, i) = events[e];
            if is_end {
                ended[i] = true;
            } else {
                active.push(Reverse(i));
            }
            e += 1;
        }
        while active.peek().is_some_and(|Reverse(i)| ended[*i]) {
            active.pop();
        }
        let (Some(&Reverse(src)), Some(next)) = (active.peek(), events.get(e)) else {
            continue;
        };
        // Positions derive from frames, so both bounds fit a Frame.
        let (start, end) = (pos as Frame, (next.0 - 1) as Frame);
        match pieces.last_mut() {
            Some(last) if last.src == src && u64::from(last.end) + 1 == pos => last.end = end,
            _ => pieces.push(Piece {
                start,
                end,
                visible: ranges[src].visible,
                src,
            }),
        }
    }
    pieces
}

/// The hidden frames of `ranges` as sorted, disjoint, non-adjacent inclusive intervals.
pub(crate) fn hidden_intervals(ranges: &[VisibilityRange]) -> Vec<(Frame, Frame)> {
    let mut hidden: Vec<(Frame, Frame)> = Vec::new();
    for p in resolve(ranges).into_iter().filter(|p| !p.visible) {
        match hidden.last_mut() {
            Some(last) if u64::from(last.1) + 1 == u64::from(p.start) => last.1 = p.end,
            _ => hidden.push((p.start, p.end)),
        }
    }
    hidden
}

/// Whether `frame` is visible given sorted disjoint `hidden` intervals. O(log H).
pub(crate) fn is_visible(hidden: &[(Frame, Frame)], frame: Frame) -> bool {
    let i = hidden.partition_point(|h| h.1 < frame);
    hidden.get(i).is_none_or(|h| h.0 > frame)
}

/// Number of hidden frames in `[a, b]`. O(log H + hidden intervals inside).
pub(crate) fn hidden_within(hidden: &[(Frame, Frame)], a: Frame, b: Frame) -> usize {
    let first = hidden.partition_point(|h| h.1 < a);
    hidden[first..]
        .iter()
        .take_while(|h| h.0 <= b)
        .map(|h| (h.1.min(b) - h.0.max(a)) as usize + 1)
        .sum()
}

/// A forward-only cursor over hidden intervals for walks in ascending frame order: each
/// interval is passed once, so a whole walk costs O(N + H).
pub(crate) struct HiddenCursor<'a> {
    hidden: &'a [(Frame, Frame)],
    i: usize,
}

impl<'a> HiddenCursor<'a> {
    pub(crate) fn new(hidden: &'a [(Frame, Frame)]) -> Self {
        HiddenCursor { hidden, i: 0 }
    }

    /// The first hidden interval that ends at or after `frame`, if any. Frames must not decrease
    /// between calls.
    #[inline]
    pub(crate) fn seek(&mut self, frame: Frame) -> Option<(Frame, Frame)> {
        while self.i < self.hidden.len() && self.hidden[self.i].1 < frame {
            self.i += 1;
        }
        self.hidden.get(self.i).copied()
    }

    /// Whether `frame` is visible. Frames must not decrease between calls.
    #[inline]
    pub(crate) fn visible(&mut self, frame: Frame) -> bool {
        self.seek(frame).is_none_or(|h| h.0 > frame)
    }

    /// Calls `emit(a, b)` for each maximal visible run `[a, b]` of frames strictly between
    /// `after` and `before`.
    #[inline]
    pub(crate) fn visible_runs(
        &mut self,
        after: Frame,
        before: Frame,
        mut emit: impl FnMut(Frame, Frame),
    ) {
        let mut a = u64::from(after) + 1;
        let before = u64::from(before);
        while a < before {
            match self.seek(a as Frame) {
                Some((hs, he)) if u64::from(hs) <= a => a = u64::from(he) + 1,
                next => {
                    let stop = next.map_or(before, |(hs, _)| u64::from(hs).min(before));
                    emit(a as Frame, (stop - 1) as Frame);
                    a = stop;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: Frame, e: Frame, v: bool) -> VisibilityRange {
        VisibilityRange::new(s, e, v)
    }

    /// FOVEA's `getVisibilityAtFrame`, the reference for the resolver.
    fn first_match(ranges: &[VisibilityRange], f: Frame) -> bool {
        ranges
            .iter()
            .find(|r| r.start_frame <= f && f <= r.end_frame)
            .is_none_or(|r| r.visible)
    }

    #[test]
    fn first_match_wins_and_uncovered_is_visible() {
        let ranges = [
            r(0, 10, false),
            r(5, 15, true),
            r(20, 30, false),
            r(12, 25, true),
        ];
        let hidden = hidden_intervals(&ranges);
        for f in 0..40 {
            assert_eq!(is_visible(&hidden, f), first_match(&ranges, f), "frame {f}");
        }
        assert_eq!(hidden, vec![(0, 10), (20, 30)]);
        assert!(is_visible(&[], 5));
        assert_eq!(hidden_within(&hidden, 5, 28), 6 + 9);
    }

    #[test]
    fn pieces_name_their_deciding_range() {
        let ranges = [r(10, 20, true), r(0, 30, false), r(25, 24, true)];
        let pieces = resolve(&ranges);
        let spans: Vec<_> = pieces
            .iter()
            .map(|p| (p.start, p.end, p.visible, p.src))
            .collect();
        assert_eq!(
            spans,
            vec![(0, 9, false, 1), (10, 20, true, 0), (21, 30, false, 1)]
        );
    }

    #[test]
    fn cursor_runs_skip_hidden_frames() {
        let hidden = [(3, 4), (7, 7)];
        let mut c = HiddenCursor::new(&hidden);
        let mut runs = vec![];
        c.visible_runs(0, 10, |a, b| runs.push((a, b)));
        assert_eq!(runs, vec![(1, 2), (5, 6), (8, 9)]);
        let mut c = HiddenCursor::new(&hidden);
        assert!(c.visible(2));
        assert!(!c.visible(3));
        assert!(c.visible(8));
    }

    #[test]
    fn extreme_frames_do_not_overflow() {
        let max = crate::model::MAX_FRAME;
        let ranges = [r(0, max, false), r(5, 6, true)];
        assert_eq!(hidden_intervals(&ranges), vec![(0, max)]);
        assert_eq!(hidden_within(&[(0, max)], 0, max), max as usize + 1);
    }
}
