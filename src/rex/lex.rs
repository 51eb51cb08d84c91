//! Lexing one line of Rex into tokens, with bracketed forms nested.
//!
//! Lexing is total: characters that cannot start anything become `Fail` tokens, reported
//! later by validation.

/// Characters of words.
pub fn is_word_char(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// Characters of runes.
pub fn is_rune_char(c: u8) -> bool {
    b"$!#%&*+,-./:<=>?@\\^`'|~".contains(&c)
}

/// How a string was quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrType {
    /// `{...}` or `"..."`.
    Curly,
    /// `}X...X`.
    Quoted,
}

/// A token kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind<T> {
    /// A run of rune characters.
    Rune,
    /// A run of word characters.
    Word,
    /// A run of spaces.
    Wyte,
    /// A comment, to the end of the line.
    Semi,
    /// A line string, with the spans of the following lines it continues into (latest
    /// first): `(line index, offset, end)`.
    Line(Vec<Pos>),
    /// A string.
    Cord(StrType),
    /// `( ... )` with its contents.
    Para(T),
    /// `[ ... ]` with its contents.
    Brak(T),
    /// An unexpected character.
    Fail,
    /// An opening bracket nested deeper than [`super::MAX_DEPTH`], with the rest of its line.
    Deep,
    /// End of the line, or the closing bracket of a nested form.
    Term,
}

/// Where a token is: the index of its line in the block and its byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    /// Index of the line within the block being read.
    pub line: usize,
    /// Start offset.
    pub off: usize,
    /// End offset (exclusive).
    pub end: usize,
}

/// A token with nested tokens inside brackets.
#[derive(Debug, PartialEq, Eq)]
pub struct Lexeme {
    /// Where it is.
    pub pos: Pos,
    /// What it is.
    pub kind: Kind<Vec<Lexeme>>,
}

impl Drop for Lexeme {
    /// Takes nested brackets apart with a work list rather than recursively.
    fn drop(&mut self) {
        let mut work = match &mut self.kind {
            Kind::Para(ts) | Kind::Brak(ts) => std::mem::take(ts),
            _ => return,
        };
        while let Some(mut l) = work.pop() {
            if let Kind::Para(ts) | Kind::Brak(ts) = &mut l.kind {
                work.append(ts);
            }
        }
    }
}

struct Lexer<'a> {
    b: &'a [u8],
    line: usize,
}

impl Lexer<'_> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn tok(&self, off: usize, end: usize, kind: Kind<Vec<Lexeme>>) -> Lexeme {
        Lexeme {
            pos: Pos {
                line: self.line,
                off,
                end,
            },
            kind,
        }
    }

    /// First offset at or after `o` whose byte fails `f` (or the line's width).
    fn eat(&self, o: usize, f: impl Fn(u8) -> bool) -> usize {
        if o >= self.b.len() {
            return self.b.len();
        }
        let mut i = o;
        while i < self.b.len() && f(self.b[i]) {
            i += 1;
        }
        i
    }

    /// Lexes the whole line. Brackets nest through an explicit stack (no recursion), so
    /// any depth up to [`super::MAX_DEPTH`] costs no machine stack; an opening bracket past
    /// that depth becomes a `Deep` token covering the rest of the line.
    fn line(&self) -> Vec<Lexeme> {
        struct Open {
            at: usize,
            close: u8,
            para: bool,
            outer: Vec<Lexeme>,
        }
        let wid = self.b.len();
        let mut open: Vec<Open> = Vec::new();
        let mut cur: Vec<Lexeme> = Vec::new();
        let mut i = 0;
        loop {
            let c = self.at(i);
            if c == b'(' || c == b'[' {
                if open.len() >= super::MAX_DEPTH {
                    cur.push(self.tok(i, wid, Kind::Deep));
                    i = wid;
                    continue;
                }
                open.push(Open {
                    at: i,
                    close: if c == b'(' { b')' } else { b']' },
                    para: c == b'(',
                    outer: std::mem::take(&mut cur),
                });
                i += 1;
                continue;
            }
            let ctx = open.last().map_or(0, |o| o.close);
            let l = self.one(i, ctx);
            let done = l.kind == Kind::Term;
            i = l.pos.end;
            cur.push(l);
            if !done {
                continue;
            }
            let Some(o) = open.pop() else {
                return cur;
            };
            let end = cur.last().map_or(o.at + 1, |t| t.pos.end);
            let inner = std::mem::replace(&mut cur, o.outer);
            let kind = if o.para {
                Kind::Para(inner)
            } else {
                Kind::Brak(inner)
            };
            cur.push(self.tok(o.at, end, kind));
            i = end;
        }
    }

    /// The token at `i` (never a bracket: [`Lexer::line`] handles those); `ctx` is the
    /// closing bracket of the innermost open form (0 at top level).
    fn one(&self, i: usize, ctx: u8) -> Lexeme {
        let wid = self.b.len();
        match self.at(i) {
            b'"' => {
                let end = (self.eat(i + 1, |c| c != b'"') + 1).min(wid);
                self.tok(i, end, Kind::Cord(StrType::Curly))
            }
            b'}' => {
                let c = self.at(i + 1);
                if c == 0 || c == b' ' {
                    self.tok(i, wid, Kind::Line(Vec::new()))
                } else {
                    let end = (self.eat(i + 2, |x| x != c) + 1).min(wid);
                    self.tok(i, end, Kind::Cord(StrType::Quoted))
                }
            }
            b'{' => {
                let mut j = i + 1;
                let mut d: i64 = 1;
                while d != 0 && j < wid {
                    match self.b[j] {
                        b'{' => d += 1,
                        b'}' => d -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                self.tok(i, j, Kind::Cord(StrType::Curly))
            }
            0 => self.tok(i.min(wid), wid.max(i), Kind::Term),
            b';' => self.tok(i, wid, Kind::Semi),
            b' ' => self.tok(i, self.eat(i, |c| c == b' '), Kind::Wyte),
            c if is_word_char(c) => self.tok(i, self.eat(i, is_word_char), Kind::Word),
            c if is_rune_char(c) => self.tok(i, self.eat(i, is_rune_char), Kind::Rune),
            c if c == ctx => self.tok(i, i + 1, Kind::Term),
            _ => self.tok(i, i + 1, Kind::Fail),
        }
    }
}

/// Lexes one line (without its newline). `line` is its index within the block.
pub fn lex_line(bytes: &[u8], line: usize) -> Vec<Lexeme> {
    Lexer { b: bytes, line }.line()
}
