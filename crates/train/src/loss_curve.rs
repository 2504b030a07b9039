//! The loss curve as a small hand-written SVG: train and valid loss against the step.

use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 360.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 32.0;
const BOTTOM: f64 = 40.0;

/// One line of the plot: `(step, loss)` points.
pub struct Series<'a> {
    pub name: &'a str,
    pub color: &'a str,
    pub points: &'a [(usize, f64)],
}

/// An SVG document plotting `series` (non-finite losses are left out).
pub fn svg(title: &str, series: &[Series<'_>]) -> String {
    let all: Vec<(usize, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|(_, y)| y.is_finite())
        .collect();
    let max_x = all.iter().map(|p| p.0).max().unwrap_or(1).max(1) as f64;
    let (mut lo, mut hi) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.05;
    let (lo, hi) = (lo - pad, hi + pad);
    let x = |s: usize| LEFT + (W - LEFT - RIGHT) * s as f64 / max_x;
    let y = |l: f64| TOP + (H - TOP - BOTTOM) * (hi - l) / (hi - lo);

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="20" text-anchor="middle" font-size="14">{}</text>"#,
        W / 2.0,
        escape(title)
    );
    // Axes, with the loss range and the step range written at their ends.
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
    let _ = writeln!(
        out,
        r#"<path d="M{x0} {y1} V{y0} H{x1}" fill="none" stroke="black"/>"#
    );
    for (value, py) in [(hi, y1), ((hi + lo) / 2.0, (y0 + y1) / 2.0), (lo, y0)] {
        let _ = writeln!(
            out,
            r##"<text x="{}" y="{}" text-anchor="end">{value:.2}</text><line x1="{x0}" y1="{py}" x2="{x1}" y2="{py}" stroke="#ddd"/>"##,
            x0 - 6.0,
            py + 4.0
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{x0}" y="{}" text-anchor="middle">0</text><text x="{x1}" y="{}" text-anchor="end">{}</text><text x="{}" y="{}" text-anchor="middle">step</text>"#,
        y0 + 16.0,
        y0 + 16.0,
        max_x,
        (x0 + x1) / 2.0,
        y0 + 32.0
    );
    for (i, s) in series.iter().enumerate() {
        let pts: Vec<String> = s
            .points
            .iter()
            .filter(|(_, l)| l.is_finite())
            .map(|&(st, l)| format!("{:.1},{:.1}", x(st), y(l)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
            pts.join(" "),
            s.color
        );
        let ly = TOP + 14.0 + 16.0 * i as f64;
        let _ = writeln!(
            out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"/><text x="{}" y="{}">{}</text>"#,
            x1 - 110.0,
            ly - 4.0,
            x1 - 90.0,
            ly - 4.0,
            s.color,
            x1 - 84.0,
            ly,
            escape(s.name)
        );
    }
    out.push_str("</svg>\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_polyline_per_series_with_a_legend() {
        let train = [(1, 3.0), (2, 2.0), (3, f64::NAN), (4, 1.5)];
        let valid = [(2, 2.5), (4, 2.2)];
        let doc = svg(
            "skill <x>",
            &[
                Series {
                    name: "train",
                    color: "#1f77b4",
                    points: &train,
                },
                Series {
                    name: "valid",
                    color: "#d62728",
                    points: &valid,
                },
            ],
        );
        assert!(doc.starts_with("<svg") && doc.trim_end().ends_with("</svg>"));
        assert_eq!(doc.matches("<polyline").count(), 2);
        assert!(doc.contains("skill &lt;x&gt;") && doc.contains(">valid</text>"));
        // The train line skips the NaN point: three points.
        let line = doc
            .lines()
            .find(|l| l.starts_with("<polyline") && l.contains("#1f77b4"))
            .unwrap();
        let pts = line.split('"').nth(1).unwrap();
        assert_eq!(pts.split(' ').count(), 3);
        assert!(!doc.contains("NaN"));
    }
}
