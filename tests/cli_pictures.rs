//! The pictures `pallas` draws, read back as XML: the flamegraph of `pallas prof --svg` and
//! `--profile-output x.svg`, and the page of `pallas bench --html`. (scripts/check-pictures.sh
//! opens the same files in a headless browser.)

mod common;

use std::path::{Path, PathBuf};

use common::pallas;
use quick_xml::events::Event;

/// One element of a parsed document: its name, attributes, children and own text.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every element below this one (depth first), itself included.
    fn all(&self) -> Vec<&Node> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.all());
        }
        out
    }

    fn by_id(&self, id: &str) -> Option<&Node> {
        self.all().into_iter().find(|n| n.attr("id") == Some(id))
    }

    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
}

fn element(e: &quick_xml::events::BytesStart) -> Node {
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            (
                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                    .expect("attribute value")
                    .into_owned(),
            )
        })
        .collect();
    Node {
        name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
        attrs,
        ..Node::default()
    }
}

/// Parses a whole document as XML, failing the test on anything that is not well formed
/// (mismatched or unclosed tags, bad attributes, more than one root).
fn parse_xml(text: &str) -> Node {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack = vec![Node::default()];
    loop {
        let ev = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed at {}: {e}", reader.buffer_position()));
        match ev {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let n = element(&e);
                stack.last_mut().expect("parent").children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().expect("open element");
                stack
                    .last_mut()
                    .expect("unbalanced end tag")
                    .children
                    .push(n);
            }
            Event::Text(t) => {
                let s = t.decode().expect("text");
                stack.last_mut().expect("parent").text.push_str(&s);
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().expect("character reference") {
                    Some(c) => c.to_string(),
                    None => match r.decode().expect("entity").as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => panic!("unknown entity &{other};"),
                    },
                };
                stack.last_mut().expect("parent").text.push_str(&c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements at the end");
    let mut doc = stack.pop().expect("document");
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.pop().expect("root")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pallas-pictures-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn bench_sire() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sire/bench.sire")
        .to_string_lossy()
        .into_owned()
}

/// The frames of a flamegraph: (law name, width in µs) for each frame drawn.
fn frames(svg: &Node) -> Vec<(String, u64)> {
    let frames = svg.by_id("frames").expect("a frames group");
    frames
        .children
        .iter()
        .filter(|g| g.name == "g")
        .map(|g| {
            assert!(g.child("rect").is_some(), "each frame has a rect: {g:?}");
            let title = &g.child("title").expect("each frame has a title").text;
            // `name (1,234 µs, 56.7%)`
            let (name, rest) = title.rsplit_once(" (").expect("name (count)");
            let micros = rest
                .split(' ')
                .next()
                .and_then(|n| n.replace(',', "").parse().ok())
                .unwrap_or_else(|| panic!("a count in {title}"));
            (name.to_string(), micros)
        })
        .collect()
}

fn read_svg(path: &Path) -> Node {
    let text = std::fs::read_to_string(path).expect("the SVG was written");
    let svg = parse_xml(&text);
    assert_eq!(svg.name, "svg");
    assert!(
        svg.all().iter().any(|n| n.name == "script"),
        "the zoom and search script is inside the file"
    );
    for n in svg.all() {
        for (k, v) in &n.attrs {
            assert!(
                !(k == "href" || k == "xlink:href" || k == "src") || v.starts_with('#'),
                "a reference to an outside resource: {k}={v}"
            );
        }
    }
    svg
}

#[test]
fn prof_svg_draws_interpreted_stacks_with_law_names() {
    let dir = scratch("interp");
    let out = dir.join("fib.svg");
    let (code, stdout, err) = pallas(&[
        "--jit",
        "off",
        "--profile-interval-us",
        "100",
        "prof",
        &bench_sire(),
        "fib 26",
        "--svg",
        out.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.contains("fib@"),
        "the table is printed too: {stdout}"
    );
    let frames = frames(&read_svg(&out));
    let fib: Vec<_> = frames
        .iter()
        .filter(|(n, _)| n.starts_with("fib@"))
        .collect();
    // The recursion shows as frames of fib above frames of fib.
    assert!(fib.len() >= 2, "{frames:?}");
    let all = frames
        .iter()
        .find(|(n, _)| n == "all")
        .expect("a root frame");
    assert!(
        all.1 > 0 && fib.iter().all(|(_, us)| *us <= all.1),
        "{frames:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn profile_output_svg_shows_machine_code_time() {
    let dir = scratch("jit");
    let out = dir.join("p.svg");
    let (code, stdout, err) = pallas(&[
        "--jit",
        "always",
        "--profile-output",
        out.to_str().expect("path"),
        "prof",
        &bench_sire(),
        "fib 20",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("jit"), "{stdout}");
    let frames = frames(&read_svg(&out));
    assert!(
        frames.iter().any(|(n, _)| n == "[machine code]"),
        "{frames:?}"
    );
    assert!(
        frames.iter().any(|(n, _)| n.starts_with("fib@")),
        "{frames:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_empty_profile_says_what_to_do() {
    let dir = scratch("empty");
    let out = dir.join("p.svg");
    let (code, stdout, err) = pallas(&[
        "--profile-output",
        out.to_str().expect("path"),
        "plan",
        "(3 4)",
    ]);
    assert_eq!(stdout.trim(), "5");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("p.svg") && err.contains("--profile-interval-us"),
        "{err}"
    );
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bench_html_charts_every_mode_and_matches_the_json() {
    let dir = scratch("bench");
    let page = dir.join("bench.html");
    let (code, stdout, err) = pallas(&[
        "bench",
        "--runs",
        "2",
        "--with-oracle",
        "--json",
        "--html",
        page.to_str().expect("path"),
        "--sire",
        &bench_sire(),
        "fib 15",
    ]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("--json still prints JSON");
    let modes = json["modes"].as_array().expect("modes");
    assert_eq!(modes.len(), 3);

    let html = parse_xml(&std::fs::read_to_string(&page).expect("the page was written"));
    assert_eq!(html.name, "html");
    for n in html.all() {
        assert!(
            n.name != "script" && n.name != "link" && n.attr("src").is_none(),
            "the page loads nothing: {n:?}"
        );
    }
    let chart = html.by_id("chart").expect("a chart");
    assert_eq!(chart.name, "svg");
    let bars: Vec<&Node> = chart
        .all()
        .into_iter()
        .filter(|n| n.name == "rect" && n.attr("class").is_some_and(|c| c.starts_with("bar ")))
        .collect();
    assert_eq!(
        bars.len(),
        2 * modes.len(),
        "a fastest and a median bar per mode"
    );
    for m in modes {
        let name = m["mode"].as_str().expect("mode name");
        for (class, key) in [("bar min", "min_s"), ("bar median", "median_s")] {
            let bar = bars
                .iter()
                .find(|b| b.attr("data-mode") == Some(name) && b.attr("class") == Some(class))
                .unwrap_or_else(|| panic!("a {class} bar for {name}"));
            let secs: f64 = bar
                .attr("data-seconds")
                .expect("seconds")
                .parse()
                .expect("f64");
            assert_eq!(secs, m[key].as_f64().expect("seconds"), "{name} {class}");
            let width: f64 = bar.attr("width").expect("width").parse().expect("f64");
            assert!(width >= 1.0, "{name} {class}: width {width}");
        }
    }
    // Slower runs draw longer bars.
    let width = |name: &str| -> f64 {
        bars.iter()
            .find(|b| b.attr("data-mode") == Some(name) && b.attr("class") == Some("bar median"))
            .and_then(|b| b.attr("width")?.parse().ok())
            .expect("width")
    };
    let secs = |name: &str| -> f64 {
        modes
            .iter()
            .find(|m| m["mode"] == name)
            .and_then(|m| m["median_s"].as_f64())
            .expect("median")
    };
    assert_eq!(
        secs("oracle") > secs("jit off"),
        width("oracle") > width("jit off")
    );
    let table = html.by_id("figures").expect("the table");
    let rows = table.children.iter().filter(|r| r.name == "tr").count();
    assert_eq!(rows, 1 + modes.len());
    let _ = std::fs::remove_dir_all(dir);
}
