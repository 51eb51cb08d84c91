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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

impl<E> Rex<E> {
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
