//! The report's chart: price, fund balance, coverage ratio and cumulative deficits over time, one panel each.

use super::report::Report;
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

/// One line: its legend name, color and (hours, value) points.
struct Line<'a> {
    name: &'a str,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

struct Panel<'a> {
    title: &'a str,
    series: Vec<Line<'a>>,
}

pub fn draw(report: &Report, path: &Path, title: &str) -> Result<(), String> {
    let with_text = font_available();
    let t0 = report.samples.first().map_or(0, |s| s.unix_ts);
    let hours = |ts: i64| (ts - t0) as f64 / 3_600.0;
    let usd = |atoms: u64| atoms as f64 / 1e6;
    let s = &report.samples;
    let panels = [
        Panel {
            title: "price (USD)",
            series: vec![Line {
                name: "price",
                color: BLUE,
                points: s.iter().map(|x| (hours(x.unix_ts), x.price_e8 as f64 / 1e8)).collect(),
            }],
        },
        Panel {
            title: "insurance fund balance (USD)",
            series: vec![Line {
                name: "fund",
                color: GREEN,
                points: s.iter().map(|x| (hours(x.unix_ts), usd(x.fund_balance))).collect(),
            }],
        },
        Panel {
            title: "coverage ratio: fund / open interest (%)",
            series: vec![Line {
                name: "coverage",
                color: MAGENTA,
                points: s.iter().map(|x| (hours(x.unix_ts), (x.coverage_bps.min(10_000)) as f64 / 100.0)).collect(),
            }],
        },
        Panel {
            title: "cumulative deficits (USD)",
            series: vec![
                Line {
                    name: "paid by fund",
                    color: GREEN,
                    points: s.iter().map(|x| (hours(x.unix_ts), usd(x.cumulative_fund_cover))).collect(),
                },
                Line {
                    name: "LP clawback",
                    color: RED,
                    points: s.iter().map(|x| (hours(x.unix_ts), usd(x.cumulative_lp_clawback))).collect(),
                },
                Line {
                    name: "socialized",
                    color: BLACK,
                    points: s.iter().map(|x| (hours(x.unix_ts), usd(x.cumulative_socialized))).collect(),
                },
            ],
        },
    ];
    let root = BitMapBackend::new(path, (1200, 1400)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = if with_text { root.titled(title, ("sans-serif", 28)).map_err(|e| e.to_string())? } else { root };
    let areas = root.split_evenly((panels.len(), 1));
    for (area, panel) in areas.iter().zip(panels.iter()) {
        let x_max = panel.series.iter().flat_map(|line| line.points.iter().map(|p| p.0)).fold(1.0f64, f64::max);
        let (y_min, y_max) = panel
            .series
            .iter()
            .flat_map(|line| line.points.iter().map(|p| p.1))
            .fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
        let (y_min, y_max) = if y_min > y_max { (0.0, 1.0) } else { (y_min.min(0.0_f64.max(y_min)), y_max) };
        let pad = ((y_max - y_min) * 0.05).max(1e-9);
        let mut builder = ChartBuilder::on(area);
        builder.margin(12);
        if with_text {
            builder.caption(panel.title, ("sans-serif", 20)).x_label_area_size(30).y_label_area_size(80);
        }
        let mut chart =
            builder.build_cartesian_2d(0.0..x_max, (y_min - pad)..(y_max + pad)).map_err(|e| e.to_string())?;
        let mut mesh = chart.configure_mesh();
        if with_text {
            mesh.x_desc("hours");
        } else {
            mesh.disable_x_mesh().disable_y_mesh();
        }
        mesh.draw().map_err(|e| e.to_string())?;
        for line in &panel.series {
            let drawn = chart
                .draw_series(LineSeries::new(line.points.iter().copied(), line.color.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            if with_text {
                let color = line.color;
                drawn.label(line.name).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
            }
        }
        if with_text && panel.series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| e.to_string())?;
        }
    }
    root.present().map_err(|e| e.to_string())
}
