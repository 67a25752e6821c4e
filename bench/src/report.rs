//! The results: a table on standard output, `summary.json`, and `summary.svg` (a chart of the
//! ratios to the bare client, which the README shows).

use std::{fmt::Write as _, path::Path};

use anyhow::Context;

use crate::{
    clients::{Ablation, Variant},
    load::{Round, min_median_max},
    server::Protocol,
};

/// Every round of one client in one setting.
pub struct Cell {
    pub protocol: Protocol,
    pub callers: usize,
    pub variant: Variant,
    pub rounds: Vec<Round>,
}

/// One client in one setting, summarised.
#[derive(serde::Serialize)]
pub struct CellSummary {
    pub protocol: Protocol,
    pub callers: usize,
    pub variant: &'static str,
    pub description: &'static str,
    pub rounds: Vec<Round>,
    pub requests_per_second: MinMedianMax,
    /// Medians over the rounds of each round's percentile.
    pub p50_us: f64,
    pub p99_us: f64,
    /// Median requests per second over A's median in the same setting.
    pub ratio_to_a: Option<f64>,
}

#[derive(Clone, Copy, serde::Serialize)]
pub struct MinMedianMax {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

/// The whole run.
#[derive(serde::Serialize)]
pub struct Summary {
    pub machine: Machine,
    pub requests_per_round: usize,
    pub rounds: usize,
    pub otel_subscriber: bool,
    pub ablation: Ablation,
    pub cells: Vec<CellSummary>,
}

/// What the numbers were measured on.
#[derive(serde::Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub os: &'static str,
    pub arch: &'static str,
}

impl Machine {
    pub fn this() -> Self {
        Self {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
        }
    }
}

impl Summary {
    pub fn new(
        cells: &[Cell],
        requests_per_round: usize,
        rounds: usize,
        otel_subscriber: bool,
        ablation: Ablation,
    ) -> Self {
        let stats = |cell: &Cell| {
            let rps: Vec<f64> = cell.rounds.iter().map(|r| r.requests_per_second).collect();
            let (min, median, max) = min_median_max(&rps);
            MinMedianMax { min, median, max }
        };
        let baseline = |protocol, callers| {
            cells
                .iter()
                .find(|c| c.variant == Variant::A && c.protocol == protocol && c.callers == callers)
                .map(|c| stats(c).median)
        };
        let cells = cells
            .iter()
            .map(|cell| {
                let rps = stats(cell);
                let median = |f: fn(&Round) -> f64| {
                    let values: Vec<f64> = cell.rounds.iter().map(f).collect();
                    min_median_max(&values).1
                };
                CellSummary {
                    protocol: cell.protocol,
                    callers: cell.callers,
                    variant: cell.variant.name(),
                    description: cell.variant.describe(),
                    rounds: cell.rounds.clone(),
                    requests_per_second: rps,
                    p50_us: median(|r| r.p50_us),
                    p99_us: median(|r| r.p99_us),
                    ratio_to_a: baseline(cell.protocol, cell.callers).map(|a| rps.median / a),
                }
            })
            .collect();
        Self {
            machine: Machine::this(),
            requests_per_round,
            rounds,
            otel_subscriber,
            ablation,
            cells,
        }
    }

    /// The settings measured, in order: (protocol, callers).
    fn settings(&self) -> Vec<(Protocol, usize)> {
        let mut settings: Vec<(Protocol, usize)> =
            self.cells.iter().map(|c| (c.protocol, c.callers)).collect();
        settings.sort();
        settings.dedup();
        settings
    }

    fn variants(&self) -> Vec<&'static str> {
        Variant::ALL
            .iter()
            .map(|v| v.name())
            .filter(|name| self.cells.iter().any(|c| c.variant == *name))
            .collect()
    }

    fn cell(&self, (protocol, callers): (Protocol, usize), variant: &str) -> Option<&CellSummary> {
        self.cells
            .iter()
            .find(|c| c.protocol == protocol && c.callers == callers && c.variant == variant)
    }

    /// The ratios first (median req/s over A's), then every client's numbers.
    pub fn table(&self) -> String {
        let variants = self.variants();
        let mut out = String::new();
        let _ = write!(
            out,
            "\n{:<10} {:>7} {:>10}",
            "protocol", "callers", "A req/s"
        );
        for v in variants.iter().filter(|v| **v != "A") {
            let _ = write!(out, " {:>6}", format!("{v}/A"));
        }
        out.push('\n');
        for setting in self.settings() {
            let a = self.cell(setting, "A");
            let _ = write!(
                out,
                "{:<10} {:>7} {:>10}",
                setting.0.to_string(),
                setting.1,
                a.map_or("-".into(), |a| thousands(a.requests_per_second.median))
            );
            for v in variants.iter().filter(|v| **v != "A") {
                let ratio = self.cell(setting, v).and_then(|c| c.ratio_to_a);
                let _ = write!(
                    out,
                    " {:>6}",
                    ratio.map_or("-".into(), |r| format!("{r:.2}"))
                );
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "\n{:<10} {:>7} {:<3} {:>10} {:>10} {:>10} {:>9} {:>9}",
            "protocol", "callers", "", "min req/s", "median", "max", "p50 µs", "p99 µs"
        );
        for setting in self.settings() {
            for v in &variants {
                if let Some(c) = self.cell(setting, v) {
                    let _ = writeln!(
                        out,
                        "{:<10} {:>7} {:<3} {:>10} {:>10} {:>10} {:>9.0} {:>9.0}",
                        setting.0.to_string(),
                        setting.1,
                        v,
                        thousands(c.requests_per_second.min),
                        thousands(c.requests_per_second.median),
                        thousands(c.requests_per_second.max),
                        c.p50_us,
                        c.p99_us
                    );
                }
            }
        }
        out.push('\n');
        for v in Variant::ALL {
            if variants.contains(&v.name()) {
                let _ = writeln!(out, "{:<3} {}", v.name(), v.describe());
            }
        }
        let _ = writeln!(
            out,
            "{} requests a round, {} rounds, {} CPUs, {}; ratios are of medians measured side by side in this run",
            self.requests_per_round,
            self.rounds,
            self.machine.cpus,
            if self.otel_subscriber {
                "tracing-opentelemetry subscriber installed (spans sampled, not exported)"
            } else {
                "no tracing subscriber"
            }
        );
        out
    }

    /// Writes `summary.json` and `summary.svg` into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let json = dir.join("summary.json");
        std::fs::write(&json, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", json.display()))?;
        let svg = dir.join("summary.svg");
        std::fs::write(&svg, self.svg()).with_context(|| format!("writing {}", svg.display()))?;
        println!("wrote {} and {}", json.display(), svg.display());
        Ok(())
    }

    /// A grouped bar chart: per setting, each client's median throughput relative to A, with
    /// the spread of its rounds as a whisker, and the 0.90 target as a dashed line.
    pub fn svg(&self) -> String {
        const WIDTH: f64 = 960.0;
        const HEIGHT: f64 = 440.0;
        const LEFT: f64 = 60.0;
        const TOP: f64 = 50.0;
        const BOTTOM: f64 = 90.0;
        const COLOURS: [(&str, &str); 6] = [
            ("A", "#8c8c8c"),
            ("A2", "#bdbdbd"),
            ("B", "#1f77b4"),
            ("B'", "#6baed6"),
            ("C", "#2ca02c"),
            ("D", "#ff7f0e"),
        ];
        let settings = self.settings();
        let variants = self.variants();
        let plot_h = HEIGHT - TOP - BOTTOM;
        let y_max = self
            .cells
            .iter()
            .filter_map(|c| {
                let a = self
                    .cell((c.protocol, c.callers), "A")?
                    .requests_per_second
                    .median;
                Some(c.requests_per_second.max / a)
            })
            .fold(1.0_f64, f64::max);
        // The next 0.2 above the highest whisker, and at most 3.
        let y_max = ((y_max * 5.0).ceil() / 5.0 + 0.2).min(3.0);
        let y = |ratio: f64| TOP + plot_h * (1.0 - (ratio / y_max).min(1.0));
        const RIGHT: f64 = 90.0;
        let group_w = (WIDTH - LEFT - RIGHT) / settings.len().max(1) as f64;
        let bar_w = (group_w - 30.0) / variants.len().max(1) as f64;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="{LEFT}" y="22" font-size="15">Throughput relative to bare hyper (A = 1.00): median of {} rounds, whiskers min–max</text>"#,
            self.rounds
        );
        let mut tick = 0.0;
        while tick <= y_max + 1e-9 {
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{}" y="{:.1}" text-anchor="end">{tick:.1}</text>"##,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y(tick) + 4.0,
                y = y(tick),
            );
            tick += 0.2;
        }
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d62728" stroke-dasharray="6,4"/><text x="{}" y="{:.1}" fill="#d62728">target 0.90</text>"##,
            WIDTH - RIGHT,
            WIDTH - RIGHT + 6.0,
            y(0.9) + 4.0,
            y = y(0.9),
        );
        for (g, setting) in settings.iter().enumerate() {
            let x0 = LEFT + 15.0 + g as f64 * group_w;
            let Some(a) = self
                .cell(*setting, "A")
                .map(|a| a.requests_per_second.median)
            else {
                continue;
            };
            for (i, v) in variants.iter().enumerate() {
                let Some(cell) = self.cell(*setting, v) else {
                    continue;
                };
                let colour = COLOURS.iter().find(|(n, _)| n == v).map_or("#444", |c| c.1);
                let x = x0 + i as f64 * bar_w;
                let ratio = cell.requests_per_second.median / a;
                let _ = writeln!(
                    s,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{v}: {ratio:.2} ({} req/s)</title></rect>"#,
                    y(ratio),
                    bar_w - 3.0,
                    (y(0.0) - y(ratio)).max(0.0),
                    thousands(cell.requests_per_second.median),
                );
                let cx = x + (bar_w - 3.0) / 2.0;
                let (lo, hi) = (
                    cell.requests_per_second.min / a,
                    cell.requests_per_second.max / a,
                );
                let _ = writeln!(
                    s,
                    r#"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="black"/>"#,
                    y(lo),
                    y(hi)
                );
                let _ = writeln!(
                    s,
                    r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="10">{ratio:.2}</text>"#,
                    y(hi) - 4.0
                );
                let _ = writeln!(
                    s,
                    r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="10">{v}</text>"#,
                    y(0.0) + 14.0
                );
            }
            let _ = writeln!(
                s,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}, {} caller{}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="10">A: {} req/s</text>"#,
                y(0.0) + 32.0,
                setting.0,
                setting.1,
                if setting.1 == 1 { "" } else { "s" },
                y(0.0) + 46.0,
                thousands(a),
                x = x0 + (group_w - 30.0) / 2.0,
            );
        }
        let mut lx = LEFT;
        for v in Variant::ALL.iter().filter(|v| variants.contains(&v.name())) {
            let colour = COLOURS
                .iter()
                .find(|(n, _)| *n == v.name())
                .map_or("#444", |c| c.1);
            let _ = writeln!(
                s,
                r#"<rect x="{lx:.1}" y="{:.1}" width="10" height="10" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="10">{}: {}</text>"#,
                HEIGHT - 30.0,
                lx + 14.0,
                HEIGHT - 21.0,
                v.name(),
                escape(short(*v)),
            );
            lx += 150.0;
        }
        s.push_str("</svg>\n");
        s
    }
}

/// A legend entry short enough for the chart.
fn short(variant: Variant) -> &'static str {
    match variant {
        Variant::A => "bare hyper",
        Variant::A2 => "hyper, our settings",
        Variant::B => "api_client once",
        Variant::BController => "controller_client once",
        Variant::C => "api_client per call",
        Variant::D => "reqwest",
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}

/// `12345.6` as `12,346`.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
    }
}
