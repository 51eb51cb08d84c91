//! Printing Rex so that it reads back to the same tree.
//!
//! OPEN nodes print in indented layout (the rune, its sons on deeper lines, its heir on a
//! line of its own in the same column); everything else prints closed, on one line:
//! `(rune a b)` for nested forms, `(a rune b)` for infix, `rune(x)` for prefix,
//! `(a)rune(b)` for tight infix, and an heir as `(heir)` right after what it follows.

use super::tree::{Rex, RuneShape, TextShape};

fn is_word(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(super::lex::is_word_char)
}

fn braces_balance(t: &str) -> bool {
    let mut d = 0i64;
    for c in t.bytes() {
        match c {
            b'{' => d += 1,
            b'}' => {
                d -= 1;
                if d < 0 {
                    return false;
                }
            }
            b'\n' => return false,
            _ => {}
        }
    }
    d == 0
}

fn text_leaf(t: &str) -> String {
    if braces_balance(t) {
        return format!("{{{t}}}");
    }
    // `}X...X` with a delimiter that does not occur in the text.
    for d in "|'\"~`^$!#%&*+,-./:<=>?@\\_abcdefghijklmnopqrstuvwxyz".chars() {
        if !t.contains(d) {
            return format!("}}{d}{t}{d}");
        }
    }
    format!("{{{t}}}")
}

/// Marks where a bare line string starts, so that its continuation lines can be aligned.
const LINE_START: char = '\u{1}';
/// Stands for the indentation of a continuation line of a bare line string.
const LINE_CONT: char = '\u{2}';

/// A chain of line strings, printed bare (it must end its line); continuation lines are
/// marked for [`Printer::block`] to align under the first.
fn raw_line<E>(r: &Rex<E>) -> Option<String> {
    let mut out = String::new();
    let mut cur = Some(r);
    let mut first = true;
    while let Some(x) = cur {
        match x {
            Rex::Leaf {
                shape: TextShape::Line,
                text,
                heir,
            } => {
                if first {
                    out.push(LINE_START);
                } else {
                    out.push('\n');
                    out.push(LINE_CONT);
                }
                out.push_str("} ");
                out.push_str(text);
                first = false;
                cur = heir.as_deref();
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A chain that ends in line strings after at least one other form: the forms before them
/// and the line strings, printed bare (see [`raw_line`]). A line string can only end a line,
/// so such a chain prints flat, `a(b)} text`, where it ends the line.
fn line_tailed<E>(r: &Rex<E>) -> Option<(Vec<&Rex<E>>, String)> {
    let mut items = Vec::new();
    let mut cur = Some(r);
    while let Some(x) = cur {
        if let Rex::Leaf {
            shape: TextShape::Line,
            ..
        } = x
        {
            return if items.is_empty() {
                None
            } else {
                raw_line(x).map(|l| (items, l))
            };
        }
        items.push(x);
        cur = x.heir();
    }
    None
}

/// Whether `r`, printed where it ends its line, ends with a bare line string that belongs
/// inside it: a line-string chain, a chain that ends in one, or a prefix or tight infix form
/// (without an heir) whose last son does.
fn ends_line<E>(r: &Rex<E>) -> bool {
    if raw_line(r).is_some() || line_tailed(r).is_some() {
        return true;
    }
    match r {
        Rex::Node {
            shape: RuneShape::Shut | RuneShape::Pref,
            sons,
            heir: None,
            ..
        } => sons.last().is_some_and(|s| {
            // Only one level here: deeper forms keep their brackets.
            raw_line(s).is_some() || line_tailed(s).is_some()
        }),
        _ => false,
    }
}

/// Whether a form reads back as one clump without brackets around it, even when other
/// forms follow it at once.
fn self_delimited<E>(r: &Rex<E>) -> bool {
    matches!(
        r,
        Rex::Leaf { .. }
            | Rex::Node {
                shape: RuneShape::Nest | RuneShape::Infx | RuneShape::Open,
                ..
            }
    )
}

/// Resolves the line-string markers of a printed line that starts at column 0.
fn align_lines(s: &str) -> String {
    match s.find(LINE_START) {
        None => s.to_string(),
        Some(k) => s
            .replacen(LINE_START, "", 1)
            .replace(LINE_CONT, &" ".repeat(k)),
    }
}

struct Printer<'a, E> {
    embed: &'a dyn Fn(&E) -> String,
}

impl<E> Printer<'_, E> {
    /// The forms `items` juxtaposed (`a(b)(c)`), then the line strings `line`: a chain that
    /// ends its line. `wrap_first` brackets the first form even when it needs none.
    fn flat(&self, items: &[&Rex<E>], line: &str, wrap_first: bool, out: &mut String) {
        for (i, x) in items.iter().enumerate() {
            if i == 0 && !wrap_first && self_delimited(x) {
                self.bare(x, false, out);
            } else {
                out.push('(');
                self.bare(x, false, out);
                out.push(')');
            }
        }
        out.push_str(line);
    }

    /// A form that is one clump and ends where it starts another (no heir handling). `end`:
    /// nothing follows it on its line, so it may end with a bare line string.
    fn bare(&self, r: &Rex<E>, end: bool, out: &mut String) {
        match r {
            Rex::Leaf { shape, text, .. } => match shape {
                TextShape::Word if is_word(text) => out.push_str(text),
                TextShape::Word | TextShape::Text | TextShape::Line => {
                    out.push_str(&text_leaf(text))
                }
            },
            Rex::Node {
                shape, rune, sons, ..
            } => stacker::maybe_grow(64 * 1024, 1024 * 1024, || match shape {
                RuneShape::Nest | RuneShape::Open => {
                    if sons.is_empty() && rune == "|" {
                        out.push_str("()");
                    } else if rune == "," {
                        out.push('[');
                        self.sons(sons, " ", out);
                        out.push(']');
                    } else {
                        out.push('(');
                        out.push_str(rune);
                        for s in sons {
                            out.push(' ');
                            self.closed(s, false, out);
                        }
                        out.push(')');
                    }
                }
                RuneShape::Infx => {
                    out.push('(');
                    self.sons(sons, &format!(" {rune} "), out);
                    out.push(')');
                }
                RuneShape::Pref => match (sons.as_slice(), end) {
                    ([one], true) if raw_line(one).is_some() => {
                        out.push_str(rune);
                        out.push_str(&raw_line(one).unwrap_or_default());
                    }
                    ([one], true) if line_tailed(one).is_some() => {
                        out.push_str(rune);
                        if let Some((items, line)) = line_tailed(one) {
                            self.flat(&items, &line, true, out);
                        }
                    }
                    (
                        [one @ Rex::Node {
                            shape: RuneShape::Shut,
                            heir: None,
                            ..
                        }],
                        true,
                    ) if ends_line(one) => {
                        // Prefix runes bind looser than tight infix: `-a.b} x`.
                        out.push_str(rune);
                        self.bare(one, true, out);
                    }
                    _ => {
                        out.push_str(rune);
                        out.push('(');
                        self.sons(sons, " ", out);
                        out.push(')');
                    }
                },
                RuneShape::Shut => {
                    // A line string can only end a line, so it stays bare at the end.
                    let n = sons.len();
                    for (i, son) in sons.iter().enumerate() {
                        if i > 0 {
                            out.push_str(rune);
                        }
                        let last = end && i + 1 == n;
                        match (raw_line(son), line_tailed(son)) {
                            (Some(l), _) if last => out.push_str(&l),
                            (_, Some((items, line))) if last => self.flat(&items, &line, true, out),
                            _ => {
                                out.push('(');
                                self.closed(son, false, out);
                                out.push(')');
                            }
                        }
                    }
                }
            }),
            Rex::Embed(e) => out.push_str(&(self.embed)(e)),
        }
    }

    fn sons(&self, sons: &[Rex<E>], sep: &str, out: &mut String) {
        for (i, s) in sons.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            self.closed(s, false, out);
        }
    }

    /// A closed, one-clump form including the heir chain (`a(b(c))`: `a`, heir `b`, its
    /// heir `c`), the chain walked in a loop. `end`: nothing follows it on its line, so a
    /// chain that ends in line strings prints flat with them bare at the end (elsewhere a
    /// line string can only print as a quoted string).
    fn closed(&self, r: &Rex<E>, end: bool, out: &mut String) {
        if end {
            if let Some((items, line)) = line_tailed(r) {
                self.flat(&items, &line, false, out);
                return;
            }
        }
        let mut opened = 0;
        let mut cur = r;
        loop {
            let Some(h) = cur.heir() else {
                self.bare(cur, end && opened == 0, out);
                break;
            };
            if self_delimited(cur) {
                self.bare(cur, false, out);
            } else {
                out.push('(');
                self.bare(cur, false, out);
                out.push(')');
            }
            out.push('(');
            opened += 1;
            cur = h;
        }
        out.extend(std::iter::repeat_n(')', opened));
    }

    /// Prints `r` in layout with its layout column (for an OPEN node, the column of its
    /// rune's last character; otherwise where it starts) at `col`. Heirs print in the same
    /// column, one after the other (in a loop).
    fn block(&self, r: &Rex<E>, col: usize, out: &mut String) {
        let mut next = Some(r);
        while let Some(r) = next.take() {
            match r {
                Rex::Node {
                    shape: RuneShape::Open,
                    rune,
                    sons,
                    heir,
                } => {
                    out.push_str(&" ".repeat((col + 1).saturating_sub(rune.len())));
                    out.push_str(rune);
                    out.push('\n');
                    // Sons go deeper, each in a shallower column than the one before, so
                    // that none becomes a son or heir of its elder sibling.
                    let mut cols = vec![0; sons.len()];
                    let mut c = col;
                    for (i, s) in sons.iter().enumerate().rev() {
                        c = (c + 2).max(need(s));
                        cols[i] = c;
                    }
                    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                        for (s, c) in sons.iter().zip(cols) {
                            self.block(s, c, out);
                        }
                    });
                    next = heir.as_deref();
                }
                Rex::Leaf {
                    shape: TextShape::Line,
                    ..
                } => {
                    let pad = " ".repeat(col);
                    let mut cur = Some(r);
                    while let Some(Rex::Leaf {
                        shape: TextShape::Line,
                        text,
                        heir,
                    }) = cur
                    {
                        out.push_str(&pad);
                        out.push_str("} ");
                        out.push_str(text);
                        out.push('\n');
                        cur = heir.as_deref();
                    }
                    next = cur;
                }
                other => {
                    let mut line = " ".repeat(col);
                    self.closed(other, true, &mut line);
                    out.push_str(&align_lines(&line));
                    out.push('\n');
                }
            }
        }
    }
}

/// The smallest layout column at which `r` and its heir chain can be printed.
fn need<E>(r: &Rex<E>) -> usize {
    let mut n = 0;
    let mut cur = Some(r);
    while let Some(x) = cur {
        if let Rex::Node {
            shape: RuneShape::Open,
            rune,
            ..
        } = x
        {
            n = n.max(rune.len().saturating_sub(1));
        }
        cur = x.heir();
    }
    n
}

/// Prints a tree in block layout (ends with a newline). `embed` prints embedded values.
pub fn print<E>(r: &Rex<E>, embed: &dyn Fn(&E) -> String) -> String {
    let p = Printer { embed };
    let mut out = String::new();
    p.block(r, need(r), &mut out);
    out
}

/// Prints a tree on one line, for messages (OPEN nodes print as nested forms).
pub fn print_line<E>(r: &Rex<E>, embed: &dyn Fn(&E) -> String) -> String {
    let mut out = String::new();
    Printer { embed }.closed(r, true, &mut out);
    out.replace(LINE_START, "")
        .replace(&format!("\n{LINE_CONT}"), " ")
}
