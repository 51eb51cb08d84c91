//! Recognising the data-jet shapes (rows, bars, sets, tabs, cows) in ordinary PLAN values.
//!
//! Rows, sets and tabs are not separate representations: a row is the partial application of
//! a cow law to its elements (last element applied first), a set is a law whose body is a
//! sorted row, a tab a set applied to a row of values. Laws record their shape when built, so
//! recognising any of these is a constant-time check.

use crate::nat;
use crate::value::{Kind, LawShape, Value};

/// What a normal value is, as the hash and seed encodings classify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A nat.
    Nat,
    /// A pin.
    Pin,
    /// A law with no data-jet shape.
    Law,
    /// An application that is no row or tab.
    App,
    /// A bar (`{1 1 N}`).
    Bar,
    /// A row constructor `{0 n+1 0}`, n >= 1.
    Cow(u64),
    /// A row (including the empty row `{0 1 0}`).
    Row,
    /// A set (`{1 2 row}`).
    Set,
    /// A tab (`(set row)` of equal lengths).
    Tab,
}

/// Classifies a value (following finished thunks).
pub fn shape(v: Value) -> Shape {
    let v = v.deref();
    if v.is_small() {
        return Shape::Nat;
    }
    match v.kind() {
        Some(Kind::Nat(_)) | None => Shape::Nat,
        Some(Kind::Pin(_)) => Shape::Pin,
        Some(Kind::Law(l)) => match l.shape {
            LawShape::Plain => Shape::Law,
            LawShape::EmptyRow => Shape::Row,
            LawShape::Cow(n) => Shape::Cow(n),
            LawShape::Bar => Shape::Bar,
            LawShape::Set(_) => Shape::Set,
        },
        Some(Kind::App(a)) => {
            if is_tab_parts(a.head, a.args()) {
                Shape::Tab
            } else if is_row_parts(a.head, a.args()) {
                Shape::Row
            } else {
                Shape::App
            }
        }
        Some(Kind::Thunk(_)) => Shape::App,
    }
}

#[inline]
fn law_shape(v: Value) -> Option<LawShape> {
    match v.deref().kind() {
        Some(Kind::Law(l)) => Some(l.shape),
        _ => None,
    }
}

#[inline]
fn is_row_parts(head: Value, args: &[Value]) -> bool {
    matches!(law_shape(head), Some(LawShape::Cow(n)) if n == args.len() as u64)
}

fn is_tab_parts(head: Value, args: &[Value]) -> bool {
    match (law_shape(head), args) {
        (Some(LawShape::Set(n)), [vals]) => row_len(*vals) == Some(n),
        _ => false,
    }
}

/// A row's elements where they are stored, without copying: the arguments of its
/// application, which hold the last element first. Element `i` is `stored()[len - 1 - i]`.
#[derive(Copy, Clone, Debug)]
pub struct RowView {
    stored: &'static [Value],
}

impl RowView {
    /// The empty row's view.
    pub const EMPTY: RowView = RowView { stored: &[] };

    /// Number of elements.
    #[inline]
    pub fn len(self) -> usize {
        self.stored.len()
    }

    /// Whether the row has no elements.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.stored.is_empty()
    }

    /// Element `i` (as stored: possibly unevaluated), if in range.
    #[inline]
    pub fn get(self, i: usize) -> Option<Value> {
        let n = self.stored.len();
        (i < n).then(|| self.stored[n - 1 - i])
    }

    /// Element `i`; `i` must be in range.
    #[inline]
    pub fn at(self, i: usize) -> Value {
        self.stored[self.stored.len() - 1 - i]
    }

    /// The elements in index order.
    #[inline]
    pub fn iter(self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator {
        self.stored.iter().rev().copied()
    }

    /// The elements as stored: last first (the order a row's application takes them in).
    #[inline]
    pub fn stored(self) -> &'static [Value] {
        self.stored
    }

    /// Elements `from..to` (index order; clamped to the row).
    #[inline]
    pub fn slice(self, from: usize, to: usize) -> RowView {
        let n = self.stored.len();
        let to = to.min(n);
        let from = from.min(to);
        RowView {
            stored: &self.stored[n - to..n - from],
        }
    }

    /// A copy of the elements in index order, each past finished thunks.
    pub fn to_vec(self) -> Vec<Value> {
        self.iter().map(|x| x.deref()).collect()
    }
}

/// The elements of a row where they are stored, or `None` if the value is not a row.
#[inline]
pub fn row_view(v: Value) -> Option<RowView> {
    let v = v.deref();
    match v.kind() {
        Some(Kind::Law(l)) if l.shape == LawShape::EmptyRow => Some(RowView::EMPTY),
        Some(Kind::App(a)) if is_row_parts(a.head, a.args()) => Some(RowView { stored: a.args() }),
        _ => None,
    }
}

/// The keys of a set (ascending), where they are stored.
#[inline]
pub fn set_view(v: Value) -> Option<RowView> {
    match v.deref().kind() {
        Some(Kind::Law(l)) if matches!(l.shape, LawShape::Set(_)) => row_view(l.body),
        _ => None,
    }
}

/// The keys (ascending) and the values of a tab, where they are stored.
#[inline]
pub fn tab_view(v: Value) -> Option<(RowView, RowView)> {
    match v.deref().kind() {
        Some(Kind::App(a)) if is_tab_parts(a.head, a.args()) => {
            Some((set_view(a.head)?, row_view(a.args()[0])?))
        }
        _ => None,
    }
}

/// The set of a tab's keys (the head of its application).
#[inline]
pub fn tab_set(v: Value) -> Option<Value> {
    match v.deref().kind() {
        Some(Kind::App(a)) if is_tab_parts(a.head, a.args()) => Some(a.head),
        _ => None,
    }
}

/// The length of a row, or `None` if the value is not a row.
#[inline]
pub fn row_len(v: Value) -> Option<u64> {
    row_view(v).map(|r| r.len() as u64)
}

/// A copy of the elements of a row in index order (index 0 is the last applied argument).
/// Costs the row's length: reads use [`row_view`].
pub fn row_elems(v: Value) -> Option<Vec<Value>> {
    row_view(v).map(RowView::to_vec)
}

/// A copy of the keys of a set in ascending order (reads use [`set_view`]).
pub fn set_keys(v: Value) -> Option<Vec<Value>> {
    set_view(v).map(RowView::to_vec)
}

/// Copies of the keys (ascending) and values of a tab (reads use [`tab_view`]).
pub fn tab_parts(v: Value) -> Option<(Vec<Value>, Vec<Value>)> {
    tab_view(v).map(|(k, v)| (k.to_vec(), v.to_vec()))
}

/// Whether a nat is a valid bar body: nonzero, and its bit width minus one is a multiple of 8.
pub fn is_bar_nat(v: Value) -> bool {
    let v = v.deref();
    if !v.is_nat() {
        return false;
    }
    let w = nat::bit_width(v);
    w > 0 && (w - 1).is_multiple_of(8)
}

/// The bytes of a bar read where they are stored: in the words of its body nat (the bytes,
/// then a 1 byte), without copying.
#[derive(Copy, Clone, Debug)]
pub struct BarView {
    len: usize,
    body: BarBody,
}

#[derive(Copy, Clone, Debug)]
enum BarBody {
    Small(u64),
    Big(&'static num_bigint::BigUint),
}

impl BarView {
    /// Number of bytes.
    #[inline]
    pub fn len(self) -> usize {
        self.len
    }

    /// Whether the bar is empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The word of the body holding byte `i` (its bytes little end first).
    #[inline]
    fn word(self, w: usize) -> u64 {
        match self.body {
            BarBody::Small(x) => {
                if w == 0 {
                    x
                } else {
                    0
                }
            }
            BarBody::Big(n) => n.iter_u64_digits().nth(w).unwrap_or(0),
        }
    }

    /// Byte `i`, or `None` past the end.
    #[inline]
    pub fn get(self, i: usize) -> Option<u8> {
        (i < self.len).then(|| (self.word(i / 8) >> (8 * (i % 8))) as u8)
    }

    /// The bytes from `from` on (none when `from` is past the end).
    #[inline]
    pub fn bytes_from(self, from: usize) -> BarBytes {
        BarBytes {
            view: self,
            next: from.min(self.len),
            word: 0,
        }
    }

    /// Appends bytes `from..to` (clamped to the bar) to `out`, a word of the body at a time.
    pub fn copy_into(self, from: usize, to: usize, out: &mut Vec<u8>) {
        let to = to.min(self.len);
        if from >= to {
            return;
        }
        out.reserve(to - from);
        match self.body {
            // A small body holds at most 7 bytes and its closing 1 byte.
            BarBody::Small(x) => out.extend_from_slice(&x.to_le_bytes()[from..to]),
            BarBody::Big(n) => {
                let (first, last) = (from / 8, (to - 1) / 8);
                let (mut skip, mut left) = (from % 8, to - from);
                for d in n.iter_u64_digits().skip(first).take(last - first + 1) {
                    let take = (8 - skip).min(left);
                    out.extend_from_slice(&d.to_le_bytes()[skip..skip + take]);
                    left -= take;
                    skip = 0;
                }
            }
        }
    }

    /// The nat of the bytes (the body without its closing 1 byte): one copy of the body.
    pub fn to_nat(self) -> num_bigint::BigUint {
        let top = 8 * self.len as u64;
        match self.body {
            BarBody::Small(x) => num_bigint::BigUint::from(x & !(1u64 << top)),
            BarBody::Big(n) => {
                let mut x = n.clone();
                x.set_bit(top, false);
                x
            }
        }
    }

    /// A copy of all the bytes.
    pub fn to_vec(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len);
        self.copy_into(0, self.len, &mut out);
        out
    }

    /// The first index at or after `from` holding `byte`.
    pub fn position_from(self, from: usize, byte: u8) -> Option<usize> {
        self.bytes_from(from)
            .position(|b| b == byte)
            .map(|i| i + from)
    }

    /// The last index holding `byte`.
    pub fn rposition(self, byte: u8) -> Option<usize> {
        (0..self.len).rev().find(|&i| self.get(i) == Some(byte))
    }
}

/// The bytes of a bar from some index on, read a word at a time from where they are stored.
pub struct BarBytes {
    view: BarView,
    next: usize,
    word: u64,
}

impl Iterator for BarBytes {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let i = self.next;
        if i >= self.view.len {
            return None;
        }
        // A new word, or the first byte read (`word` is 0 then; reloading when the rest of a
        // word is zero bytes reads the same zeros).
        if i.is_multiple_of(8) || self.word == 0 {
            self.word = self.view.word(i / 8) >> (8 * (i % 8));
        }
        self.next += 1;
        let b = self.word as u8;
        self.word >>= 8;
        Some(b)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.view.len - self.next;
        (n, Some(n))
    }
}

/// The bytes of a bar where they are stored, or `None` if the value is not a bar.
#[inline]
pub fn bar_view(v: Value) -> Option<BarView> {
    match v.deref().kind() {
        Some(Kind::Law(l)) if l.shape == LawShape::Bar => {
            let body = l.body.deref();
            let bits = nat::bit_width(body) as usize;
            let len = bits.saturating_sub(1) / 8;
            let body = match body.as_small() {
                Some(x) => BarBody::Small(x),
                None => match body.kind() {
                    Some(Kind::Nat(n)) => BarBody::Big(n),
                    _ => return None,
                },
            };
            Some(BarView { len, body })
        }
        _ => None,
    }
}

/// A copy of the bytes of a bar (reads use [`bar_view`]).
pub fn bar_bytes(v: Value) -> Option<Vec<u8>> {
    bar_view(v).map(BarView::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Runtime;

    #[test]
    fn copies_of_any_range_match_the_bytes_read_one_by_one() {
        let mut rt = Runtime::default();
        for len in [0usize, 3, 7, 8, 9, 20, 33] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 1) as u8).collect();
            let b = bar_view(rt.bar(&bytes)).expect("a bar");
            assert_eq!(b.to_vec(), bytes);
            for from in 0..=len + 1 {
                for to in 0..=len + 1 {
                    let mut out = vec![9];
                    b.copy_into(from, to, &mut out);
                    let want: Vec<u8> = std::iter::once(9)
                        .chain((from..to.min(len)).filter_map(|i| b.get(i)))
                        .collect();
                    assert_eq!(out, want, "len {len}, {from}..{to}");
                }
            }
        }
    }
}
