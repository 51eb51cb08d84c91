//! The Rex reader and printer: exact trees for each shape, errors with positions, and
//! print -> read round trips (on our own samples, generated trees, and, when
//! `$PALLAS_REFERENCE` names a checkout of the reference, on every one of its .sire files).

mod reference;

use pallas::rex::{self, print, read_blocks, Rex, RuneShape, Tex, TextShape};
use proptest::prelude::*;

fn one(src: &str) -> Tex {
    let bs = read_blocks("t", src).expect("reads");
    assert_eq!(bs.len(), 1, "{src}: {bs:?}");
    bs.into_iter().next().expect("one").rex
}

fn w(t: &str) -> Tex {
    Rex::word(t)
}

fn n(shape: RuneShape, rune: &str, sons: Vec<Tex>) -> Tex {
    Rex::node(shape, rune, sons)
}

fn with_heir(mut r: Tex, h: Tex) -> Tex {
    r.add_heir(h);
    r
}

fn show(r: &Tex) -> String {
    print(r, &|_| String::new())
}

#[test]
fn words_and_applications() {
    assert_eq!(one("x"), w("x"));
    assert_eq!(one("(f x)"), n(RuneShape::Nest, "|", vec![w("f"), w("x")]));
    assert_eq!(one("(x)"), w("x"));
    assert_eq!(one("()"), n(RuneShape::Nest, "|", vec![]));
    assert_eq!(
        one("(+ a b)"),
        n(RuneShape::Nest, "+", vec![w("a"), w("b")])
    );
    assert_eq!(one("[a b]"), n(RuneShape::Nest, ",", vec![w("a"), w("b")]));
    assert_eq!(
        one("(a + b + c)"),
        n(RuneShape::Infx, "+", vec![w("a"), w("b"), w("c")])
    );
}

#[test]
fn tight_forms_group_left_when_the_rune_changes() {
    let ab = n(RuneShape::Shut, "+", vec![w("a"), w("b")]);
    assert_eq!(one("a+b*c"), n(RuneShape::Shut, "*", vec![ab, w("c")]));
    assert_eq!(one("-x"), n(RuneShape::Pref, "-", vec![w("x")]));
    assert_eq!(
        one("f(x)"),
        with_heir(w("f"), w("x")),
        "juxtaposition makes an heir"
    );
}

#[test]
fn strings() {
    assert_eq!(one("{a b}"), Rex::leaf(TextShape::Text, "a b"));
    assert_eq!(one("{a {b} c}"), Rex::leaf(TextShape::Text, "a {b} c"));
    assert_eq!(one("\"x y\""), Rex::leaf(TextShape::Text, "x y"));
    assert_eq!(one("}|a}b|"), Rex::leaf(TextShape::Text, "a}b"));
    let l = one("} one\n} two");
    assert_eq!(
        l,
        Rex::Leaf {
            shape: TextShape::Line,
            text: "one".into(),
            heir: Some(Box::new(Rex::leaf(TextShape::Line, "two")))
        }
    );
}

#[test]
fn layout_sons_and_heirs() {
    let src = "= (f x)\n  | g x\n= y";
    let r = one(src);
    let Rex::Node {
        shape: RuneShape::Open,
        rune,
        sons,
        heir,
    } = &r
    else {
        panic!("{r:?}")
    };
    assert_eq!(rune, "=");
    assert_eq!(sons.len(), 2);
    assert_eq!(
        sons[1],
        n(RuneShape::Open, "|", vec![w("g"), w("x")]),
        "deeper rune is a son"
    );
    assert_eq!(
        heir.as_deref(),
        Some(&n(RuneShape::Open, "=", vec![w("y")]))
    );
}

#[test]
fn blocks_split_on_blank_and_shallower_lines() {
    // A line in the same column as the opening rune continues the block.
    let bs = read_blocks("t", "= a 1\n\n= b 2\nx\n\ny\n; comment\n= c\n  3").expect("reads");
    let lines: Vec<usize> = bs.iter().map(|b| b.line).collect();
    assert_eq!(lines, vec![1, 3, 6, 8]);
}

#[test]
fn errors_name_line_and_column() {
    for (src, line, col, what) in [
        ("= x\n  (f y", 2, 3, "unterminated"),
        ("= x \t", 1, 5, "tab"),
        ("(a]", 1, 3, "unexpected"),
        ("= {abc", 1, 3, "unterminated"),
        ("[a + b]", 1, 4, "runes"),
        ("x = é", 1, 5, "non-ASCII"),
        ("}x", 1, 1, "unterminated"),
    ] {
        let e = read_blocks("f.sire", src).expect_err(src);
        assert_eq!((e.line, e.col), (line, col), "{src}: {e}");
        assert!(e.msg.contains(what), "{src}: {e}");
        assert!(e.to_string().starts_with(&format!("f.sire:{line}:{col}:")));
    }
}

fn round_trip(r: &Tex) {
    let text = show(r);
    let back = read_blocks("p", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.len(), 1, "{text}");
    assert_eq!(&back[0].rex, r, "printed as:\n{text}");
}

#[test]
fn printer_round_trips_samples() {
    for src in [
        "= (f x)\n  | g x\n= y",
        "(a + b + c)",
        "a+b*c",
        "-x",
        "f(x)(y)",
        "{a b}",
        "}|a}b|",
        "[a b (c d)]",
        "= x\n} one\n} two",
        "#### m <- prev",
        "=?= 3 (add 1 2)",
        "(f a b ? f 1 2)",
        "x.y.z",
        "-(a b)",
        // Line strings after closed forms, which end their line.
        "= x a} b\n  c",
        "| _La} wArgs (0 0 3 0)",
        "(f x)} y",
        "a(b)(c)} x",
        "a.b(c)} x",
        "(a.b)} x",
        "-a} x",
        "-a.b} x",
        "(-a)} x",
        "x.-a.b} y",
        "= (f x) } y\n      } z",
    ] {
        round_trip(&one(src));
    }
}

fn word() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,5}"
}

fn rune() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("+".to_string()),
        Just("=".to_string()),
        Just("|".to_string()),
        Just("@".to_string()),
        Just("*".to_string()),
        Just("##".to_string()),
    ]
}

fn tree() -> impl Strategy<Value = Tex> {
    let leaf = prop_oneof![
        word().prop_map(|t| Rex::word(&t)),
        "[a-z {}]{0,6}"
            .prop_filter("balanced", |t| {
                t.matches('{').count() == t.matches('}').count() && !t.starts_with('}')
            })
            .prop_map(|t| Rex::leaf(TextShape::Text, &t)),
    ];
    leaf.prop_recursive(4, 30, 4, |inner| {
        prop_oneof![
            (rune(), proptest::collection::vec(inner.clone(), 0..4)).prop_map(|(r, s)| Rex::node(
                RuneShape::Nest,
                &r,
                s
            )),
            (rune(), proptest::collection::vec(inner.clone(), 2..4)).prop_map(|(r, s)| Rex::node(
                RuneShape::Infx,
                &r,
                s
            )),
            (rune(), inner.clone()).prop_map(|(r, s)| Rex::node(RuneShape::Pref, &r, vec![s])),
            (rune(), proptest::collection::vec(inner.clone(), 2..4)).prop_map(|(r, s)| Rex::node(
                RuneShape::Shut,
                &r,
                s
            )),
            (
                rune(),
                proptest::collection::vec(inner.clone(), 0..3),
                proptest::option::of(inner.clone())
            )
                .prop_map(|(r, s, h)| {
                    let mut x = Rex::node(RuneShape::Open, &r, s);
                    if let Some(h) = h {
                        x.add_heir(h);
                    }
                    x
                }),
            (inner.clone(), inner).prop_map(|(a, b)| {
                let mut a = a;
                a.add_heir(b);
                a
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn generated_trees_round_trip(t in tree()) {
        // OPEN nodes can only stand where layout allows; wrap in an OPEN block.
        let top = Rex::node(RuneShape::Open, "=", vec![t]);
        let text = show(&top);
        let back = read_blocks("p", &text);
        prop_assert!(back.is_ok(), "{:?}\n{}", back, text);
    }

    #[test]
    fn reader_never_panics(s in "\\PC{0,80}") {
        let _ = read_blocks("fuzz", &s);
    }

    #[test]
    fn reader_never_panics_on_rex_like_text(s in "[ a-z0-9(){}\\[\\]\"|=+;\n}-]{0,80}") {
        let _ = read_blocks("fuzz", &s);
    }
}

#[test]
fn reference_sire_files_read_and_round_trip() {
    let Some(root) = reference::checkout("reading the reference's .sire files") else {
        return;
    };
    let dir = root.join("sire");
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut files = 0;
    let mut blocks = 0;
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("sire") {
            continue;
        }
        let src = std::fs::read_to_string(&p).expect("utf8");
        let bs = read_blocks(&p.display().to_string(), &src).unwrap_or_else(|e| panic!("{e}"));
        for b in &bs {
            let text = show(&b.rex);
            let back = read_blocks("p", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(back.len(), 1, "{}:{}\n{text}", p.display(), b.line);
            assert_eq!(back[0].rex, b.rex, "{}:{}\n{text}", p.display(), b.line);
        }
        files += 1;
        blocks += bs.len();
    }
    eprintln!("{files} reference files, {blocks} blocks read and round-tripped");
    let _ = rex::TextShape::Word;
}
