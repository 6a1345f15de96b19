//! The report's chart, for a risk committee: the price (on a log scale when it spans a tenfold range), the fund
//! beside the crash deficit its market's book predicts, what went in and out of the fund by source, its coverage
//! and adequacy, open interest, the keeper's work and every waterfall layer over UTC time, with the run's settings
//! in the title. Each panel names its lines (and their colours) in its caption, so no legend covers the data. Drawn
//! as PNG and as SVG.

use super::format::{utc_clock, utc_date};
use super::report::Report;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::path::Path;

const FONT_PATHS: [&str; 2] =
    ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf"];

/// Registers a system font for labels. Without one, the chart is drawn without text.
fn font_available() -> bool {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *REGISTERED.get_or_init(|| {
        FONT_PATHS.iter().find_map(|path| std::fs::read(path).ok()).is_some_and(|bytes| {
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
        })
    })
}

/// One line: its name, colour and (hours since the first sample, value) points.
struct Line {
    name: &'static str,
    colour: RGBColor,
    colour_name: &'static str,
    points: Vec<(f64, f64)>,
}

struct Panel {
    title: &'static str,
    /// The y axis starts at zero (amounts), or fits the data (a price).
    from_zero: bool,
    /// A logarithmic y axis: a price that spans more than a tenfold range (LUNA's collapse is a flat line on a
    /// linear one). The points hold log10 of the values; the axis labels show the values.
    log: bool,
    lines: Vec<Line>,
}

impl Panel {
    /// The caption: the panel's title and each line's name with its colour.
    fn caption(&self) -> String {
        let scale = if self.log { " (log scale)" } else { "" };
        if self.lines.len() == 1 {
            return format!("{}{scale}", self.title);
        }
        let names: Vec<String> = self.lines.iter().map(|l| format!("{} {}", l.colour_name, l.name)).collect();
        format!("{}{scale}: {}", self.title, names.join(", "))
    }
}

/// Writes `path` (PNG) and the same chart beside it as SVG.
pub fn draw(report: &Report, path: &Path, title: &str) -> Result<(), String> {
    let panels = panels(report);
    let heading = heading(report, title);
    let size = (1300, 2500);
    draw_on(BitMapBackend::new(path, size).into_drawing_area(), &panels, &heading, report)?;
    draw_on(SVGBackend::new(&path.with_extension("svg"), size).into_drawing_area(), &panels, &heading, report)
}

/// The title with the run's settings.
fn heading(report: &Report, title: &str) -> String {
    let c = &report.config;
    let down = c.stress.keeper_down_minutes.map_or(String::new(), |(a, b)| format!(", keeper down min {a}-{b}"));
    // One fund behind several markets: its panels are the whole fund's, the deficits this market's.
    let shared = match report.markets_backed {
        1 => String::new(),
        n => format!(", one fund behind {n} markets"),
    };
    format!(
        "{title}: {} traders up to {}.{}x, fund ${}{shared}, LP ${}, seed {}, keeper every {} s +{} s{down}",
        c.traders,
        c.max_leverage_tenths / 10,
        c.max_leverage_tenths % 10,
        c.fund_capital,
        c.lp_capital,
        report.trader_seed,
        report.step_secs,
        c.stress.keeper_latency_secs
    )
}

fn panels(report: &Report) -> Vec<Panel> {
    let t0 = report.samples.first().map_or(0, |s| s.unix_ts);
    let s = &report.samples;
    let hours = |ts: i64| (ts - t0) as f64 / 3_600.0;
    let usd = |atoms: u64| atoms as f64 / 1e6;
    let line = |name, colour, colour_name, value: &dyn Fn(&super::report::Sample) -> f64| Line {
        name,
        colour,
        colour_name,
        points: s.iter().map(|x| (hours(x.unix_ts), value(x))).collect(),
    };
    let (low, high) = s.iter().fold((i64::MAX, i64::MIN), |(lo, hi), x| (lo.min(x.price_e8), hi.max(x.price_e8)));
    let log = low > 0 && high / low >= 10;
    let price = move |e8: i64| if log { (e8 as f64 / 1e8).log10() } else { e8 as f64 / 1e8 };
    vec![
        Panel {
            title: "price and the oracle's EMA (USD)",
            from_zero: false,
            log,
            lines: vec![
                line("price", BLUE, "blue", &|x| price(x.price_e8)),
                line("EMA", CYAN, "cyan", &|x| price(x.ema_e8)),
            ],
        },
        Panel {
            title: "insurance fund balance, and the crash deficit its market's bankruptcy book predicts at the target shock (USD)",
            from_zero: true,
            log: false,
            lines: vec![
                line("fund", GREEN, "green", &|x| usd(x.fund_balance)),
                line("stressed deficit", RED, "red", &|x| usd(x.stressed_deficit)),
            ],
        },
        Panel {
            title: "into and out of the fund, lifetime (USD)",
            from_zero: true,
            log: false,
            lines: vec![
                line("fees swept in", BLUE, "blue", &|x| usd(x.fund_inflow_fees)),
                line("liquidation penalties swept in", GREEN, "green", &|x| usd(x.fund_inflow_penalties)),
                line("deficits paid to this market", RED, "red", &|x| usd(x.cumulative_fund_cover)),
            ],
        },
        Panel {
            title: "coverage: fund net of deficits awaiting it / open interest of every market it backs (%, before each keeper round)",
            from_zero: true,
            log: false,
            lines: vec![line("coverage", MAGENTA, "magenta", &|x| x.coverage_bps.min(10_000) as f64 / 100.0)],
        },
        Panel {
            title: "adequacy: fund net of deficits awaiting it / stressed deficit at the target shock (%, shown up to 300 %; below 100 % the fund's fee share rises)",
            from_zero: true,
            log: false,
            lines: vec![line("adequacy", BLUE, "blue", &|x| x.adequacy_bps.min(30_000) as f64 / 100.0)],
        },
        Panel {
            title: "open interest, long + short (USD)",
            from_zero: true,
            log: false,
            lines: vec![line("open interest", BLACK, "black", &|x| usd(x.open_interest_notional))],
        },
        Panel {
            title: "per step",
            from_zero: true,
            log: false,
            lines: vec![
                line("liquidations", RED, "red", &|x| x.liquidations as f64),
                line("bankruptcies covered", BLACK, "black", &|x| x.bankruptcies as f64),
                line("trades refused", CYAN, "cyan", &|x| x.trades_refused as f64),
            ],
        },
        Panel {
            title: "cumulative deficits by layer (USD)",
            from_zero: true,
            log: false,
            lines: vec![
                line("paid by the fund", GREEN, "green", &|x| usd(x.cumulative_fund_cover)),
                line("LP clawback", RED, "red", &|x| usd(x.cumulative_lp_clawback)),
                line("socialized", BLACK, "black", &|x| usd(x.cumulative_socialized)),
                line("uncovered", MAGENTA, "magenta", &|x| usd(x.cumulative_uncovered)),
            ],
        },
    ]
}

fn draw_on<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    panels: &[Panel],
    heading: &str,
    report: &Report,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let with_text = font_available();
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let root = if with_text { root.titled(heading, ("sans-serif", 20)).map_err(err)? } else { root };
    let t0 = report.samples.first().map_or(0, |s| s.unix_ts);
    let span_hours = report.samples.last().map_or(0, |s| s.unix_ts - t0) as f64 / 3_600.0;
    let x_desc = if span_hours > 24.0 {
        format!("UTC date and time (MM-DD HH:MM) from {} {}", utc_date(t0), utc_clock(t0))
    } else {
        format!("UTC time on {} (from {})", utc_date(t0), utc_clock(t0))
    };
    for (area, panel) in root.split_evenly((panels.len(), 1)).iter().zip(panels) {
        let points = || panel.lines.iter().flat_map(|line| line.points.iter());
        let x_max = points().map(|p| p.0).fold(1.0 / 60.0, f64::max);
        let (low, high) = points().map(|p| p.1).fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
        // An empty or flat panel (no deficit at all) gets a plain 0..1 axis rather than a sliver around zero.
        let (low, high) =
            if low > high || high - low < 1e-6 { (low.clamp(-1.0, 0.0), low.max(0.0) + 1.0) } else { (low, high) };
        let low = if panel.from_zero && !panel.log { low.min(0.0) } else { low };
        let pad = (high - low) * 0.05;
        let mut builder = ChartBuilder::on(area);
        builder.margin(10);
        if with_text {
            builder.caption(panel.caption(), ("sans-serif", 16)).x_label_area_size(42).y_label_area_size(80);
        }
        let mut chart = builder.build_cartesian_2d(0.0..x_max, (low - pad)..(high + pad)).map_err(err)?;
        let mut mesh = chart.configure_mesh();
        // A series over several days labels its days too.
        let clock = |hours: &f64| {
            let at = t0 + (hours * 3_600.0) as i64;
            if x_max > 24.0 {
                format!("{} {}", &utc_date(at)[5..], utc_clock(at))
            } else {
                utc_clock(at)
            }
        };
        let value = |y: &f64| if panel.log { format!("{:.4}", 10f64.powf(*y)) } else { format!("{y:.1}") };
        if with_text {
            mesh.x_desc(x_desc.as_str()).x_label_formatter(&clock).y_label_formatter(&value);
        } else {
            mesh.disable_x_mesh().disable_y_mesh();
        }
        mesh.draw().map_err(err)?;
        for line in &panel.lines {
            // A thick stroke over thousands of sharp turns draws miter spikes far beyond the data: thin lines there.
            let style = line.colour.stroke_width(if line.points.len() > 1_000 { 1 } else { 2 });
            chart.draw_series(LineSeries::new(line.points.iter().copied(), style)).map_err(err)?;
        }
    }
    root.present().map_err(err)
}
