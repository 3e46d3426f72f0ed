//! The legend box: a line swatch and a label per entry.

use crate::font;
use crate::layout::{Part, Region};
use crate::svg::{Svg, TextStyle};

const FONT: f64 = 12.0;
const ROW: f64 = 18.0;

/// One legend entry: its label, line colour, and whether the swatch gets a dark outline
/// (paths over a surface).
pub(crate) struct Entry<'a> {
    pub label: &'a str,
    pub colour: &'a str,
    pub outlined: bool,
}

/// A legend's entries (those with a label) and its size.
pub(crate) struct Legend<'a> {
    entries: Vec<&'a Entry<'a>>,
    /// Width and height in pixels.
    pub width: f64,
    pub height: f64,
}

impl<'a> Legend<'a> {
    /// The legend of `entries`; `None` when none has a label (nothing to draw).
    pub(crate) fn new(entries: &'a [Entry<'a>]) -> Option<Self> {
        let entries: Vec<&Entry<'_>> = entries.iter().filter(|e| !e.label.is_empty()).collect();
        if entries.is_empty() {
            return None;
        }
        let width = entries
            .iter()
            .map(|e| font::text_width(e.label, FONT))
            .fold(0.0, f64::max)
            + 44.0;
        let height = entries.len() as f64 * ROW + 8.0;
        Some(Legend {
            entries,
            width,
            height,
        })
    }

    /// Its box with the top-right corner at `(right, top)`; `on_plot` when it lies on the
    /// data.
    pub(crate) fn region(&self, right: f64, top: f64, on_plot: bool) -> Region {
        let mut r = Region::rect(
            Part::Legend,
            right - self.width,
            top,
            right,
            top + self.height,
        );
        r.on_plot = on_plot;
        r
    }

    /// Draws it with its top-right corner at `(right, top)` and records its box.
    pub(crate) fn draw(&self, svg: &mut Svg, right: f64, top: f64, on_plot: bool) {
        let left = right - self.width;
        svg.path(
            &[vec![
                [left, top],
                [right, top],
                [right, top + self.height],
                [left, top + self.height],
            ]],
            true,
            "fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#bbbbbb\" stroke-width=\"1\"",
        );
        for (k, e) in self.entries.iter().enumerate() {
            let y = top + 4.0 + ROW * (k as f64 + 0.5);
            let swatch = vec![vec![[left + 8.0, y], [left + 30.0, y]]];
            if e.outlined {
                svg.path(
                    &swatch,
                    false,
                    "fill=\"none\" stroke=\"#222222\" stroke-width=\"4.5\"",
                );
            }
            svg.path(
                &swatch,
                false,
                &format!("fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"", e.colour),
            );
            svg.draw_text(
                [left + 36.0, y + 0.36 * FONT],
                TextStyle::new(FONT),
                e.label,
                "",
            );
        }
        svg.record(self.region(right, top, on_plot));
    }
}
