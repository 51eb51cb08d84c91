//! Rex: the syntax Sire is written in. Reading (`read_blocks`, or [`BlockReader`] line by
//! line for a REPL) and printing ([`print()`]).
//!
//! Reading follows the reference implementation's rules exactly, because Sire macros see the
//! trees as data: a file is split into blocks, each block lexed, grouped into clumps, laid
//! out by indentation, and given meaning by the rune policy.

pub mod layout;
pub mod lex;
pub mod policy;
pub mod print;
pub mod tree;
pub mod validate;

pub use print::{print, print_line};
pub use tree::{Rex, RuneShape, TextShape};

use layout::{clump, clump_frag, layout as lay_out, lex_block, RawBlock, Splitter};

/// A Rex tree as read from text.
pub type Tex = Rex<()>;

/// How deeply the reader lets brackets, layout and runes nest (heir chains, such as a block
/// of many definitions, are not limited). Deeper input is an error at the place it starts.
pub const MAX_DEPTH: usize = 100_000;

/// A syntax error: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RexError {
    /// The file name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub msg: String,
    /// The offending line, for showing.
    pub text: String,
    /// How many characters to underline.
    pub width: usize,
}

impl std::fmt::Display for RexError {
    /// The place and the message, then the line (up to 60 characters either side of the
    /// place) with the offending part underlined.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SIDE: usize = 60;
        let t = self.text.as_str();
        let floor = |mut i: usize| {
            i = i.min(t.len());
            while !t.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let at = floor(self.col.saturating_sub(1));
        let from = floor(at.saturating_sub(SIDE));
        let to = floor(at + SIDE);
        let shown = &t[from..to];
        let (pre, post) = (
            if from > 0 { "..." } else { "" },
            if to < t.len() { "..." } else { "" },
        );
        let indent = pre.len() + t[from..at].chars().count();
        write!(
            f,
            "{}:{}:{}: {}\n    {pre}{shown}{post}\n    {}{}",
            self.file,
            self.line,
            self.col,
            self.msg,
            " ".repeat(indent),
            "^".repeat(self.width.clamp(1, SIDE))
        )
    }
}

impl std::error::Error for RexError {}

/// One top-level block: its first line and its tree.
#[derive(Debug, PartialEq, Eq)]
pub struct Block {
    /// 1-based line number of the block's first line.
    pub line: usize,
    /// The tree.
    pub rex: Tex,
}

/// Reads one split block into a tree (or the first problem in it).
fn read_raw(file: &str, raw: &RawBlock) -> Result<Option<Block>, RexError> {
    let lines: Vec<&[u8]> = raw.lines.iter().map(|l| l.as_slice()).collect();
    let lexemes = lex_block(&lines);
    let frags = clump(lexemes)
        .into_iter()
        .map(|c| clump_frag(c, &lines))
        .collect();
    let trees = lay_out(frags);
    if let Some(p) = validate::check(&lines, &trees).into_iter().next() {
        let text = lines
            .get(p.pos.line)
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .unwrap_or_default();
        return Err(RexError {
            file: file.to_string(),
            line: raw.first_line + p.pos.line,
            col: p.pos.off + 1,
            msg: p.msg,
            text,
            width: p.pos.end.saturating_sub(p.pos.off),
        });
    }
    let Some(rex) = policy::trees_rex(&lines, trees) else {
        return Ok(None);
    };
    // Validation bounds layout and brackets separately; runes inside clumps and both
    // together can still nest deeper.
    if rex.depth() > MAX_DEPTH {
        return Err(RexError {
            file: file.to_string(),
            line: raw.first_line,
            col: 1,
            msg: format!("this block {}", validate::too_deep()),
            text: lines
                .first()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .unwrap_or_default(),
            width: 1,
        });
    }
    Ok(Some(Block {
        line: raw.first_line,
        rex,
    }))
}

/// Reads a block at a time from lines (for a REPL, or a file read incrementally).
pub struct BlockReader {
    file: String,
    split: Splitter,
}

impl BlockReader {
    /// A reader for input named `file` (used in error messages).
    pub fn new(file: &str) -> BlockReader {
        BlockReader {
            file: file.to_string(),
            split: Splitter::default(),
        }
    }

    /// Feeds one line (without newline), or `None` at the end; returns what it completes.
    pub fn push(&mut self, line: Option<&str>) -> Vec<Result<Block, RexError>> {
        let raws = self.split.push(line.map(|l| l.as_bytes()));
        raws.iter()
            .filter_map(|r| read_raw(&self.file, r).transpose())
            .collect()
    }
}

/// Reads every block of a file, stopping at the first error.
pub fn read_blocks(file: &str, src: &str) -> Result<Vec<Block>, RexError> {
    let mut r = BlockReader::new(file);
    let mut out = Vec::new();
    for line in src.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        for b in r.push(Some(line)) {
            out.push(b?);
        }
    }
    for b in r.push(None) {
        out.push(b?);
    }
    Ok(out)
}
