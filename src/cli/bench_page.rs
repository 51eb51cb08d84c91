//! `pallas bench --html FILE`: the report as one self-contained HTML page (no scripts, no
//! outside resources): a bar chart of each mode's fastest and median run side by side, drawn
//! as inline SVG, then the same figures as a table.
//!
//! The page is well-formed XML as well as HTML, so tests can read it with an XML parser.

use std::fmt::Write as _;
use std::time::Duration;

use quick_xml::escape::escape;

use super::bench::Report;

/// Width of the chart, in pixels.
const WIDTH: f64 = 960.0;
/// Room for the mode names, left of the bars.
const LABEL_W: f64 = 170.0;
/// Room for the figures, right of the longest bar.
const VALUE_W: f64 = 250.0;
/// Height of one bar.
const BAR_H: f64 = 18.0;
/// Space between two modes' pairs of bars.
const GAP: f64 = 16.0;
/// Room above the first bar (the legend) and below the last (the axis).
const TOP: f64 = 34.0;
const BOTTOM: f64 = 30.0;

/// The page for a finished report.
pub fn html(report: &Report) -> String {
    let title = format!("pallas bench: {}", report.expr);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n");
    out.push_str("<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n");
    out.push_str("<meta charset=\"utf-8\"/>\n");
    let _ = writeln!(out, "<title>{}</title>", escape(title.as_str()));
    out.push_str(STYLE);
    out.push_str("</head>\n<body>\n");
    let _ = writeln!(
        out,
        "<h1>pallas bench</h1>\n<p>Expression <code>{}</code>, {} timed runs per mode after \
         one warm-up; every mode gave <code>{}</code>. Ratios are of medians, to the first \
         mode's.</p>",
        escape(report.expr.as_str()),
        report.runs,
        escape(report.modes.first().map_or("", |m| m.result.as_str()))
    );
    out.push_str(&chart(report));
    out.push_str(&table(report));
    let jit: Vec<String> = report
        .modes
        .iter()
        .filter_map(|m| {
            let j = m.jit.as_deref()?;
            Some(format!(
                "<li>{}: {}</li>",
                escape(m.mode.as_str()),
                escape(j)
            ))
        })
        .collect();
    if !jit.is_empty() {
        let _ = writeln!(out, "<ul id=\"jit\">\n{}\n</ul>", jit.join("\n"));
    }
    out.push_str("</body>\n</html>\n");
    out
}

const STYLE: &str = "<style>
body { font-family: sans-serif; margin: 24px; color: #222; }
code { background: #f2f2f2; padding: 1px 4px; }
svg text { font-family: sans-serif; font-size: 13px; fill: #222; }
svg .axis { stroke: #999; stroke-width: 1; }
svg .grid { stroke: #e4e4e4; stroke-width: 1; }
svg .min { fill: #7fb3d5; }
svg .median { fill: #1f618d; }
table { border-collapse: collapse; margin-top: 16px; }
th, td { padding: 4px 12px; border-bottom: 1px solid #ddd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
</style>
";

/// A duration as the table prints it (`7.398ms`, `343.262µs`).
fn time(s: f64) -> String {
    format!("{:.3?}", Duration::from_secs_f64(s.max(0.0)))
}

/// A round step for the time axis: 1, 2 or 5 times a power of ten, giving about five ticks.
fn tick_step(max: f64) -> f64 {
    let raw = (max / 5.0).max(1e-12);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * p)
}

/// How times map to the chart's x axis: linear from zero, or logarithmic (by decades) when
/// the modes' times are too far apart for the fast ones to show on a linear axis.
struct Scale {
    log: bool,
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

/// Above this spread (slowest median over fastest run) the axis is logarithmic.
const LOG_SPREAD: f64 = 20.0;

impl Scale {
    fn new(report: &Report) -> Scale {
        let times = report.modes.iter().flat_map(|m| [m.min_s, m.median_s]);
        let max = times.clone().fold(0.0, f64::max).max(1e-9);
        let min = times.fold(f64::INFINITY, f64::min).clamp(1e-9, max);
        if max / min > LOG_SPREAD {
            let lo = 10f64.powf(min.log10().floor());
            let mut hi = 10f64.powf(max.log10().ceil());
            if hi <= lo {
                hi = lo * 10.0;
            }
            let decades = (hi / lo).log10().round() as i32;
            let ticks = (0..=decades).map(|d| lo * 10f64.powi(d)).collect();
            Scale {
                log: true,
                lo,
                hi,
                ticks,
            }
        } else {
            let step = tick_step(max);
            let n = (max / step).ceil().max(1.0) as usize;
            Scale {
                log: false,
                lo: 0.0,
                hi: step * n as f64,
                ticks: (0..=n).map(|i| step * i as f64).collect(),
            }
        }
    }

    /// Where a time falls, from 0 (the axis's start) to 1 (its end).
    fn at(&self, s: f64) -> f64 {
        let f = if self.log {
            (s.max(self.lo) / self.lo).log10() / (self.hi / self.lo).log10()
        } else {
            s / self.hi
        };
        f.clamp(0.0, 1.0)
    }
}

/// The bar chart: per mode a bar for the fastest run and one for the median, on one time
/// axis, each with its figure (and for the median the ratio) beside it.
fn chart(report: &Report) -> String {
    let n = report.modes.len() as f64;
    let height = TOP + n * (2.0 * BAR_H + GAP) + BOTTOM;
    let plot_w = WIDTH - LABEL_W - VALUE_W;
    let scale = Scale::new(report);
    let x = |s: f64| LABEL_W + plot_w * scale.at(s);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" \
         height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\">"
    );
    let _ = writeln!(
        svg,
        "<title>Fastest and median run of each mode for {}</title>",
        escape(report.expr.as_str())
    );
    // Legend.
    let _ = writeln!(
        svg,
        "<rect class=\"min\" x=\"{LABEL_W}\" y=\"6\" width=\"14\" height=\"14\"/>\
         <text x=\"{}\" y=\"18\">fastest run</text>\
         <rect class=\"median\" x=\"{}\" y=\"6\" width=\"14\" height=\"14\"/>\
         <text x=\"{}\" y=\"18\">median run (ratio to the first mode)</text>\
         <text id=\"scale\" x=\"{}\" y=\"18\" text-anchor=\"end\">{}</text>",
        LABEL_W + 20.0,
        LABEL_W + 130.0,
        LABEL_W + 150.0,
        WIDTH - 10.0,
        if scale.log {
            "log scale: each grid line is 10x the one before"
        } else {
            "linear scale"
        }
    );
    // Grid and axis.
    let bottom = height - BOTTOM;
    for &t in &scale.ticks {
        let tx = x(t);
        let _ = writeln!(
            svg,
            "<line class=\"grid\" x1=\"{tx:.1}\" y1=\"{TOP}\" x2=\"{tx:.1}\" y2=\"{bottom}\"/>\
             <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bottom + 18.0,
            if t == 0.0 {
                "0".to_string()
            } else {
                format!("{:?}", Duration::from_secs_f64(t))
            }
        );
    }
    let _ = writeln!(
        svg,
        "<line class=\"axis\" x1=\"{LABEL_W}\" y1=\"{bottom}\" x2=\"{:.1}\" y2=\"{bottom}\"/>",
        LABEL_W + plot_w
    );
    // Bars.
    for (k, m) in report.modes.iter().enumerate() {
        let y0 = TOP + k as f64 * (2.0 * BAR_H + GAP) + GAP / 2.0;
        let mode = escape(m.mode.as_str());
        let _ = writeln!(
            svg,
            "<text class=\"mode\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{mode}</text>",
            LABEL_W - 8.0,
            y0 + BAR_H + 4.0
        );
        let bars = [
            ("min", m.min_s, time(m.min_s)),
            (
                "median",
                m.median_s,
                format!("{} ({:.2}x)", time(m.median_s), m.ratio_to_first),
            ),
        ];
        for (j, (class, s, label)) in bars.into_iter().enumerate() {
            let y = y0 + j as f64 * BAR_H;
            // At least a pixel, so that a very fast mode still shows a bar.
            let w = (x(s) - LABEL_W).max(1.0);
            let _ = writeln!(
                svg,
                "<rect class=\"bar {class}\" data-mode=\"{mode}\" data-seconds=\"{s}\" \
                 x=\"{LABEL_W}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\">\
                 <title>{mode}: {class} {label}</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\">{label}</text>",
                BAR_H - 2.0,
                LABEL_W + w + 6.0,
                y + BAR_H - 5.0
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// The figures as a table, as `pallas bench` prints them.
fn table(report: &Report) -> String {
    let mut t = String::from(
        "<table id=\"figures\">\n<tr><th>mode</th><th>fastest</th><th>median</th>\
         <th>ratio</th><th>laws compiled</th><th>compile time</th></tr>\n",
    );
    for m in &report.modes {
        let _ = writeln!(
            t,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{:.2}x</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(m.mode.as_str()),
            time(m.min_s),
            time(m.median_s),
            m.ratio_to_first,
            m.laws_compiled,
            time(m.compile_s)
        );
    }
    t.push_str("</table>\n");
    t
}

#[cfg(test)]
mod tests {
    use super::tick_step;

    #[test]
    fn ticks_are_round() {
        let near = |a: f64, b: f64| (a - b).abs() < 1e-9 * b;
        assert!(near(tick_step(10.0), 2.0));
        assert!(near(tick_step(0.007), 0.002));
        assert!(near(tick_step(0.0003), 0.0001));
        assert!(near(tick_step(0.024), 0.005));
        assert!(near(tick_step(0.01), 0.002));
    }
}
