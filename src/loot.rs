//! Printing PLAN values for people, in Sire-like notation: rows `[a b]`, tabs `#[k=v]`, sets
//! `%[a b]`, bars `b#{text}` (or `x#hex`), text-like nats `{text}`, pinned laws by name
//! (`<name>`), other laws `{name arity body}` and applications `(f x)`.

use std::fmt::Write;

use pallas_runtime::datajet::{self, Shape};
use pallas_runtime::{nat, Kind, Value};

/// Whether a nat reads better as text: two or more printable ASCII bytes, braces balanced.
fn textual(v: Value) -> Option<String> {
    let bytes = nat::to_bytes(v)?;
    if bytes.len() < 2 || !bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        return None;
    }
    let t = String::from_utf8(bytes).ok()?;
    let mut d = 0i64;
    for c in t.chars() {
        match c {
            '{' => d += 1,
            '}' => {
                d -= 1;
                if d < 0 {
                    return None;
                }
            }
            _ => {}
        }
    }
    (d == 0).then_some(t)
}

struct Loot {
    out: String,
    budget: usize,
    cut: bool,
}

impl Loot {
    fn full(&self) -> bool {
        self.out.len() >= self.budget
    }

    /// `s`, or its first `room` bytes (at a character boundary) and `...`.
    fn clipped(&mut self, s: &str, room: usize) {
        if s.len() <= room {
            self.out.push_str(s);
            return;
        }
        let mut end = room;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.out.push_str(&s[..end]);
        self.out.push_str("...");
        self.cut = true;
    }

    fn list(&mut self, open: &str, xs: &[Value], close: &str) {
        self.out.push_str(open);
        for (i, &x) in xs.iter().enumerate() {
            if self.cut {
                break;
            }
            if i > 0 {
                self.out.push(' ');
            }
            self.go(x);
        }
        self.out.push_str(close);
    }

    fn go(&mut self, v: Value) {
        if self.full() {
            if !self.cut {
                self.out.push_str("...");
                self.cut = true;
            }
            return;
        }
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.go_inner(v));
    }

    fn go_inner(&mut self, v: Value) {
        let v = v.deref();
        match datajet::shape(v) {
            Shape::Nat => {
                let room = self.budget.saturating_sub(self.out.len()).max(16);
                // Printing a huge number in decimal costs seconds; past the room it is not
                // printed at all.
                let digits = (nat::bit_width(v) as f64 * std::f64::consts::LOG10_2) as usize;
                match textual(v) {
                    Some(t) => {
                        self.out.push('{');
                        self.clipped(&t, room);
                        self.out.push('}');
                    }
                    None if digits > room + 64 => {
                        let _ = write!(self.out, "(a nat of about {} digits)", digits + 1);
                        self.cut = true;
                    }
                    None => self.clipped(&pallas_runtime::print::show(v), room),
                }
            }
            Shape::Row => {
                let xs = datajet::row_elems(v).unwrap_or_default();
                self.list("[", &xs, "]");
            }
            Shape::Set => {
                let xs = datajet::set_keys(v).unwrap_or_default();
                self.list("%[", &xs, "]");
            }
            Shape::Tab => {
                let (ks, vs) = datajet::tab_parts(v).unwrap_or_default();
                self.out.push_str("#[");
                for (i, (k, x)) in ks.iter().zip(&vs).enumerate() {
                    if i > 0 {
                        self.out.push(' ');
                    }
                    self.go(*k);
                    self.out.push('=');
                    self.go(*x);
                }
                self.out.push(']');
            }
            Shape::Bar => {
                let b = datajet::bar_bytes(v).unwrap_or_default();
                match String::from_utf8(b.clone()) {
                    Ok(t)
                        if t.chars().all(|c| (' '..='~').contains(&c))
                            && !t.contains(['{', '}']) =>
                    {
                        let _ = write!(self.out, "b#{{{t}}}");
                    }
                    _ => {
                        self.out.push_str("x#");
                        for byte in b {
                            let _ = write!(self.out, "{byte:02x}");
                        }
                    }
                }
            }
            Shape::Cow(n) => {
                let _ = write!(self.out, "(cow {n})");
            }
            Shape::Pin => {
                if let Some(Kind::Pin(p)) = v.kind() {
                    match p.item().kind() {
                        Some(Kind::Law(l))
                            if nat::to_text(l.name).is_some_and(|t| !t.is_empty()) =>
                        {
                            let _ =
                                write!(self.out, "<{}>", nat::to_text(l.name).unwrap_or_default());
                        }
                        _ => {
                            self.out.push('<');
                            self.go(p.item());
                            self.out.push('>');
                        }
                    }
                }
            }
            Shape::Law => {
                if let Some(Kind::Law(l)) = v.kind() {
                    self.out.push('{');
                    match nat::to_text(l.name) {
                        Some(t) if !t.is_empty() && l.name.as_small() != Some(0) => {
                            self.out.push_str(&t)
                        }
                        _ => self.go(l.name),
                    }
                    self.out.push(' ');
                    self.go(l.arity_nat);
                    self.out.push(' ');
                    self.go(l.body);
                    self.out.push('}');
                }
            }
            Shape::App => {
                if let Some(Kind::App(a)) = v.kind() {
                    self.out.push('(');
                    self.go(a.head);
                    for &x in a.args() {
                        self.out.push(' ');
                        self.go(x);
                    }
                    self.out.push(')');
                }
            }
        }
    }
}

/// Prints a (normal) value for people, cut short after about `max` characters.
pub fn show(v: Value, max: usize) -> String {
    let mut l = Loot {
        out: String::new(),
        budget: max,
        cut: false,
    };
    l.go(v);
    l.out
}
