//! The documentation speaks only of the repository: every relative link in README.md and
//! docs/*.md resolves (a file, or a heading of a Markdown file), every file path they quote in
//! backticks under one of our directories exists, and no file of the project names a path
//! outside it or of one machine.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The repository's root (the root package's directory).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path as it reads from the repository's root.
fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// README.md and every Markdown file in docs/.
fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let docs = root().join("docs");
    let entries = std::fs::read_dir(&docs).expect("docs/ is readable");
    for e in entries {
        let p = e.expect("a docs/ entry").path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    files.sort();
    assert!(
        files.len() >= 3,
        "README.md, docs/tutorial.md, docs/architecture.md"
    );
    files
}

/// The targets of the Markdown links `[text](target)` in `text`.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].trim().to_string());
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// Every relative link of every document names a file or directory of the repository, and an
/// anchor names a heading of the document it points into.
#[test]
fn relative_links_resolve() {
    let mut bad = Vec::new();
    let mut checked = 0;
    for doc in doc_files() {
        let text = std::fs::read_to_string(&doc).expect("a readable document");
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                doc.clone()
            } else {
                doc.parent().expect("a directory").join(path)
            };
            let Ok(full) = file.canonicalize() else {
                bad.push(format!("{}: ({target}): no such file", rel(&doc)));
                continue;
            };
            if !full.starts_with(root().canonicalize().expect("the root")) {
                bad.push(format!("{}: ({target}): outside the repository", rel(&doc)));
                continue;
            }
            if let Some(a) = anchor {
                let md = std::fs::read_to_string(&full).unwrap_or_default();
                if !anchors(&md).contains(a) {
                    bad.push(format!("{}: ({target}): no heading #{a}", rel(&doc)));
                }
            }
        }
    }
    assert!(
        checked >= 50,
        "only {checked} relative links found: is the parser right?"
    );
    assert!(bad.is_empty(), "broken links:\n{}", bad.join("\n"));
}

/// Directories of ours whose paths, quoted in backticks, must exist. (`sire/` is left out:
/// the reference has a `sire/` directory too, and the README names files of it.)
const OUR_DIRS: &[&str] = &[
    "runtime/", "jit/", "src/", "tests/", "benches/", "scripts/", "docs/", ".ci/",
];

/// Every path under one of our directories that a document quotes in backticks exists.
#[test]
fn quoted_paths_exist() {
    let mut bad = Vec::new();
    let mut checked = 0;
    for doc in doc_files() {
        let text = std::fs::read_to_string(&doc).expect("a readable document");
        for (i, quoted) in text.split('`').enumerate() {
            // Odd pieces are inside backticks; a path is one word.
            if i % 2 == 0 || quoted.contains(char::is_whitespace) {
                continue;
            }
            if !OUR_DIRS.iter().any(|d| quoted.starts_with(d)) {
                continue;
            }
            checked += 1;
            if !root().join(quoted).exists() {
                bad.push(format!("{}: `{quoted}` does not exist", rel(&doc)));
            }
        }
    }
    assert!(
        checked >= 10,
        "only {checked} quoted paths found: is the parser right?"
    );
    assert!(bad.is_empty(), "stale paths:\n{}", bad.join("\n"));
}

/// Paths no file of the project may name: the planning notes that live beside the repository
/// and the home, scratch and work directories of one machine. (Built from pieces so that this
/// file does not name them itself.)
fn forbidden() -> Vec<String> {
    vec![
        ["..", "/shared"].concat(),
        ["/", "work/"].concat(),
        ["/", "root/"].concat(),
        ["/", "home/"].concat(),
        ["/", "tmp/"].concat(),
    ]
}

/// The files of the project: everything under the root but build output and version control.
fn project_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("a readable directory");
    for e in entries {
        let e = e.expect("a directory entry");
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Ok(kind) = e.file_type() else { continue };
        if name == "target" || name == ".git" || kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            project_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// No file of the project names a path outside it or of one machine. A forbidden path counts
/// only where a path starts (`target/tmp/x` is a path inside the repository).
#[test]
fn no_file_names_a_path_outside_the_project() {
    let mut files = Vec::new();
    project_files(&root(), &mut files);
    assert!(files.len() > 100, "only {} files found", files.len());
    let mut bad = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue; // not text
        };
        for needle in forbidden() {
            for (at, _) in text.match_indices(needle.as_str()) {
                let before = text[..at].chars().next_back();
                let starts_path = !before.is_some_and(|c| c.is_alphanumeric() || "_.-".contains(c));
                if starts_path {
                    let line = text[..at].lines().count().max(1);
                    bad.push(format!("{}:{line}: names {needle}", rel(f)));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "paths outside the project:\n{}",
        bad.join("\n")
    );
}

/// The helpers above find what they look for (so the tests above can fail).
#[test]
fn the_checks_see_what_they_look_for() {
    assert_eq!(
        link_targets("a [x](docs/a.md) b [y](#z) [w](https://e.org)"),
        ["docs/a.md", "#z", "https://e.org"]
    );
    assert_eq!(slug(" The machine's loop"), "the-machines-loop");
    assert_eq!(
        slug("The store: layout and guarantees"),
        "the-store-layout-and-guarantees"
    );
    let a = anchors("# Top\n```\n# not a heading\n```\n## Where `x` lives\n");
    assert!(a.contains("top") && a.contains("where-x-lives") && a.len() == 2);
}
