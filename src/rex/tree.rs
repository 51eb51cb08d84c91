//! The Rex tree.

/// How a rune node was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuneShape {
    /// A rune followed by space, with layout (`= x y`).
    Open,
    /// A bracketed form (`(f x)`, `(+ a b)`, `[a b]`).
    Nest,
    /// An infix form inside brackets (`(a + b)`).
    Infx,
    /// A prefix rune without space (`-x`).
    Pref,
    /// An infix rune without spaces (`a.b`).
    Shut,
}

/// How a leaf was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextShape {
    /// A bare word (`foo`, `42`).
    Word,
    /// A string (`{foo}`, `"foo"`, `}|foo|`).
    Text,
    /// A line string (`} foo`).
    Line,
}

/// A Rex tree, with embedded values of type `E`.
///
/// Dropping and comparing walk heir chains in loops and sons with a work list, so trees of
/// any shape are safe to drop and compare.
#[derive(Debug)]
pub enum Rex<E> {
    /// A rune node.
    Node {
        /// Its shape.
        shape: RuneShape,
        /// The rune (`|` for plain application).
        rune: String,
        /// The children.
        sons: Vec<Rex<E>>,
        /// What follows, juxtaposed or as a continuation.
        heir: Option<Box<Rex<E>>>,
    },
    /// A leaf.
    Leaf {
        /// Its shape.
        shape: TextShape,
        /// Its text.
        text: String,
        /// What follows.
        heir: Option<Box<Rex<E>>>,
    },
    /// An embedded value (only made by programs, never read).
    Embed(E),
}

impl<E> Drop for Rex<E> {
    fn drop(&mut self) {
        let mut work: Vec<Rex<E>> = Vec::new();
        self.take_kids(&mut work);
        while let Some(mut r) = work.pop() {
            r.take_kids(&mut work);
        }
    }
}

impl<E: PartialEq> PartialEq for Rex<E> {
    fn eq(&self, other: &Rex<E>) -> bool {
        let mut work: Vec<(&Rex<E>, &Rex<E>)> = vec![(self, other)];
        while let Some((a, b)) = work.pop() {
            let (ha, hb) = match (a, b) {
                (
                    Rex::Node {
                        shape: sa,
                        rune: ra,
                        sons: xa,
                        heir: ha,
                    },
                    Rex::Node {
                        shape: sb,
                        rune: rb,
                        sons: xb,
                        heir: hb,
                    },
                ) => {
                    if sa != sb || ra != rb || xa.len() != xb.len() {
                        return false;
                    }
                    work.extend(xa.iter().zip(xb));
                    (ha, hb)
                }
                (
                    Rex::Leaf {
                        shape: sa,
                        text: ta,
                        heir: ha,
                    },
                    Rex::Leaf {
                        shape: sb,
                        text: tb,
                        heir: hb,
                    },
                ) => {
                    if sa != sb || ta != tb {
                        return false;
                    }
                    (ha, hb)
                }
                (Rex::Embed(x), Rex::Embed(y)) => {
                    if x != y {
                        return false;
                    }
                    continue;
                }
                _ => return false,
            };
            match (ha, hb) {
                (Some(x), Some(y)) => work.push((x, y)),
                (None, None) => {}
                _ => return false,
            }
        }
        true
    }
}

impl<E: Eq> Eq for Rex<E> {}

impl<E> Rex<E> {
    /// Moves the sons and heir out into `out`, leaving this node without them.
    fn take_kids(&mut self, out: &mut Vec<Rex<E>>) {
        match self {
            Rex::Node { sons, heir, .. } => {
                out.append(sons);
                out.extend(heir.take().map(|h| *h));
            }
            Rex::Leaf { heir, .. } => out.extend(heir.take().map(|h| *h)),
            Rex::Embed(_) => {}
        }
    }

    /// How deeply sons nest (a leaf is 1; an heir is at the level of what it follows).
    pub fn depth(&self) -> usize {
        let mut most = 0;
        let mut work: Vec<(&Rex<E>, usize)> = vec![(self, 1)];
        while let Some((r, d)) = work.pop() {
            most = most.max(d);
            if let Rex::Node { sons, .. } = r {
                work.extend(sons.iter().map(|s| (s, d + 1)));
            }
            if let Some(h) = r.heir() {
                work.push((h, d));
            }
        }
        most
    }

    /// A node without heir.
    pub fn node(shape: RuneShape, rune: &str, sons: Vec<Rex<E>>) -> Rex<E> {
        Rex::Node {
            shape,
            rune: rune.to_string(),
            sons,
            heir: None,
        }
    }

    /// A leaf without heir.
    pub fn leaf(shape: TextShape, text: &str) -> Rex<E> {
        Rex::Leaf {
            shape,
            text: text.to_string(),
            heir: None,
        }
    }

    /// A word leaf.
    pub fn word(text: &str) -> Rex<E> {
        Rex::leaf(TextShape::Word, text)
    }

    /// The heir, if any.
    pub fn heir(&self) -> Option<&Rex<E>> {
        match self {
            Rex::Node { heir, .. } | Rex::Leaf { heir, .. } => heir.as_deref(),
            Rex::Embed(_) => None,
        }
    }

    /// Appends `c` at the end of this tree's heir chain.
    pub fn add_heir(&mut self, c: Rex<E>) {
        let mut cur = self;
        loop {
            match cur {
                Rex::Node { heir, .. } | Rex::Leaf { heir, .. } => match heir {
                    Some(h) => cur = h,
                    None => {
                        *heir = Some(Box::new(c));
                        return;
                    }
                },
                Rex::Embed(_) => return,
            }
        }
    }
}
