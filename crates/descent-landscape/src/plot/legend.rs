//! The legend box: a line swatch and a label per entry.

use super::svg::{Anchor, Svg, text_width};

const FONT: f64 = 12.0;
const ROW: f64 = 18.0;

/// One legend entry: its label, line colour, and whether the swatch gets a dark outline
/// (paths over a surface).
pub(crate) struct Entry<'a> {
    pub label: &'a str,
    pub colour: &'a str,
    pub outlined: bool,
}

/// Draws the legend with its top-right corner at `(right, top)`; entries with empty labels
/// are left out, and nothing is drawn without entries.
pub(crate) fn legend(svg: &mut Svg, right: f64, top: f64, entries: &[Entry<'_>]) {
    let entries: Vec<&Entry<'_>> = entries.iter().filter(|e| !e.label.is_empty()).collect();
    if entries.is_empty() {
        return;
    }
    let w = entries
        .iter()
        .map(|e| text_width(e.label, FONT))
        .fold(0.0, f64::max)
        + 44.0;
    let h = entries.len() as f64 * ROW + 8.0;
    let left = right - w;
    svg.path(
        &[vec![
            [left, top],
            [right, top],
            [right, top + h],
            [left, top + h],
        ]],
        true,
        "fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#bbbbbb\" stroke-width=\"1\"",
    );
    for (k, e) in entries.iter().enumerate() {
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
        svg.text(left + 36.0, y + 4.0, FONT, Anchor::Start, 0.0, e.label);
    }
}
