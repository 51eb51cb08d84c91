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
    /// A form that is one clump and ends where it starts another (no heir handling).
    fn bare(&self, r: &Rex<E>, out: &mut String) {
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
                            self.closed(s, out);
                        }
                        out.push(')');
                    }
                }
                RuneShape::Infx => {
                    out.push('(');
                    self.sons(sons, &format!(" {rune} "), out);
                    out.push(')');
                }
                RuneShape::Pref => match sons.as_slice() {
                    [one] if raw_line(one).is_some() => {
                        out.push_str(rune);
                        out.push_str(&raw_line(one).unwrap_or_default());
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
                        match raw_line(son) {
                            Some(l) if i + 1 == n => out.push_str(&l),
                            _ => {
                                out.push('(');
                                self.closed(son, out);
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
            self.closed(s, out);
        }
    }

    /// A closed, one-clump form including the heir chain (`a(b(c))`: `a`, heir `b`, its
    /// heir `c`), the chain walked in a loop.
    fn closed(&self, r: &Rex<E>, out: &mut String) {
        let mut opened = 0;
        let mut cur = r;
        loop {
            let self_delimited = matches!(
                cur,
                Rex::Leaf { .. }
                    | Rex::Node {
                        shape: RuneShape::Nest | RuneShape::Infx | RuneShape::Open,
                        ..
                    }
            );
            let Some(h) = cur.heir() else {
                self.bare(cur, out);
                break;
            };
            if self_delimited {
                self.bare(cur, out);
            } else {
                out.push('(');
                self.bare(cur, out);
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
                    self.closed(other, &mut line);
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
    Printer { embed }.closed(r, &mut out);
    out.replace(LINE_START, "")
        .replace(&format!("\n{LINE_CONT}"), " ")
}
