//! Error messages for people: where it went wrong (file and line), what went wrong, and for
//! the common cases what to do about it.

use crate::sire::session;

/// A Sire failure as the command line reports it:
///
/// ```text
/// bad.sire:3: Unresolved symbol: undefinedThing
///   block:   (= (f x) (| undefinedThing x))
///   problem: undefinedThing
///   hint: define `undefinedThing` before this block, or ...
/// ```
pub fn sire(f: &session::Failure) -> String {
    let mut out = if f.line == 0 {
        format!("{}: {}", f.file, f.reason)
    } else {
        format!("{}:{}: {}", f.file, f.line, f.reason)
    };
    if !f.block.is_empty() {
        out.push_str(&format!("\n  block:   {}", f.block));
    }
    if !f.problem.is_empty() && f.problem != f.block {
        out.push_str(&format!("\n  problem: {}", f.problem));
    }
    let assertion = f.reason == "ASSERTION FAILURE" && f.details.len() == 2;
    for (i, d) in f.details.iter().enumerate() {
        let label = match (assertion, i) {
            (true, 0) => "left:  ",
            (true, _) => "right: ",
            _ => "",
        };
        out.push_str(&format!("\n  {label}{d}"));
    }
    if let Some(h) = hint(f) {
        out.push_str(&format!("\n  hint: {h}"));
    }
    out
}

/// A failure loading `path` (and the chain of modules it builds on): as [`sire`], and when
/// the failing file is not `path` itself, which file was being loaded.
pub fn load(f: &session::Failure, path: &std::path::Path) -> String {
    let asked = path.display().to_string();
    if f.file == asked {
        sire(f)
    } else {
        format!(
            "{}
  while loading {asked}, which builds on it",
            sire(f)
        )
    }
}

/// What to do about a Sire failure, for the failures whose remedy is known.
fn hint(f: &session::Failure) -> Option<String> {
    let r = f.reason.as_str();
    if r.starts_with("cannot read") {
        return Some(
            "check the path; a predecessor named by `#### name <- prev` is looked for as \
             prev.sire beside the file that names it, then in ./sire/"
                .into(),
        );
    }
    if r.starts_with("All files must start with a module declaration") {
        return Some(
            "make the first line `#### NAME` (or `#### NAME <- PREDECESSOR` to build on \
             another module)"
                .into(),
        );
    }
    if let Some(name) = r.strip_prefix("Unresolved symbol: ") {
        return Some(format!(
            "define `{name}` before this block, or build on a module that defines it \
             (`#### NAME <- MODULE` on the first line)"
        ));
    }
    if r == "ASSERTION FAILURE" {
        return Some("the two sides of `=?=` have different values (shown above)".into());
    }
    if r.starts_with("bad Rex") {
        return Some("fix the syntax at the line and column shown".into());
    }
    if r.starts_with("Undefined rune") {
        return Some(
            "this rune has no meaning in the current scope: check its spelling, or build on \
             the module that defines it"
                .into(),
        );
    }
    None
}
