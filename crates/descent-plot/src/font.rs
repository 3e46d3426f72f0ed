//! The embedded font, DejaVu Sans, and text measured with it: each character's advance
//! width and the font's ascent and descent, read from the font file (`hmtx`, `hhea`) with
//! `skrifa`, the font reader resvg's own text layout uses, so a layout box holds the text
//! the PNG renderer draws.
//!
//! Kerning is not applied: resvg shapes text with the font's kerning, which moves DejaVu
//! Sans's glyphs by a few hundredths of an em in pairs like `AV`; layouts keep [`PAD`] pixels
//! of air around text for that.

use std::sync::OnceLock;

use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, GlyphId, MetadataProvider};

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`), embedded so
/// PNG text never depends on the machine's fonts, and layouts can measure it.
pub(crate) static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The font family every text element names; the PNG renderer registers the embedded
/// font under it.
pub(crate) const FAMILY: &str = "DejaVu Sans";

/// Pixels of air layouts keep between a text's measured box and its neighbours.
pub const PAD: f64 = 2.0;

/// The font's measurements in em (1 em = the font size).
struct Metrics {
    /// Advance widths of the printable ASCII characters `' '..='~'`.
    ascii: [f64; 95],
    /// Height above the baseline (`hhea` ascender).
    ascent: f64,
    /// Depth below the baseline (`hhea` descender, as a positive number).
    descent: f64,
    /// The advance of the `.notdef` glyph, drawn for characters the font lacks.
    missing: f64,
}

/// The advance of `c` in em, `None` if the font has no glyph for it.
fn measure(font: &FontRef<'_>, c: char) -> Option<f64> {
    let upm = f64::from(
        font.metrics(Size::unscaled(), LocationRef::default())
            .units_per_em
            .max(1),
    );
    let glyphs = font.glyph_metrics(Size::unscaled(), LocationRef::default());
    let gid = if c == '\u{0}' {
        GlyphId::NOTDEF
    } else {
        font.charmap().map(c)?
    };
    glyphs.advance_width(gid).map(|w| f64::from(w) / upm)
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        // The embedded font is a fixed, valid file (a test reads it); this fallback (an
        // average advance of 0.6 em, DejaVu's line metrics) only keeps a broken build from
        // panicking.
        let fallback = Metrics {
            ascii: [0.6; 95],
            ascent: 0.928,
            descent: 0.236,
            missing: 0.6,
        };
        let Ok(font) = FontRef::new(DEJAVU_SANS) else {
            return fallback;
        };
        let m = font.metrics(Size::unscaled(), LocationRef::default());
        let upm = f64::from(m.units_per_em.max(1));
        let missing = measure(&font, '\u{0}').unwrap_or(fallback.missing);
        Metrics {
            ascii: std::array::from_fn(|k| {
                measure(&font, char::from(b' ' + k as u8)).unwrap_or(missing)
            }),
            ascent: f64::from(m.ascent) / upm,
            descent: -f64::from(m.descent) / upm,
            missing,
        }
    })
}

/// The advance width of `c` in em.
fn advance(c: char) -> f64 {
    let m = metrics();
    match c {
        ' '..='~' => m.ascii[c as usize - 32],
        _ => FontRef::new(DEJAVU_SANS)
            .ok()
            .and_then(|font| measure(&font, c))
            .unwrap_or(m.missing),
    }
}

/// How wide `s` is at `size` px: the sum of its characters' advance widths in the embedded
/// font.
pub fn text_width(s: &str, size: f64) -> f64 {
    s.chars().map(advance).sum::<f64>() * size
}

/// How far the font reaches above the baseline at `size` px (its ascender).
pub fn ascent(size: f64) -> f64 {
    metrics().ascent * size
}

/// How far the font reaches below the baseline at `size` px (its descender).
pub fn descent(size: f64) -> f64 {
    metrics().descent * size
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Widths from the font file's own tables, read by fontTools (independent of skrifa):
    ///
    /// ```python
    /// from fontTools.ttLib import TTFont
    /// f = TTFont('crates/descent-plot/assets/DejaVuSans.ttf')
    /// upm = f['head'].unitsPerEm                      # 2048
    /// print(f['hhea'].ascent, f['hhea'].descent)      # 1901 -483
    /// cmap = f.getBestCmap(); hmtx = f['hmtx']
    /// for s in ['0.5', 'filter-normalized', 'WWW', 'iii', 'train loss', '\u2212' + '1e-4']:
    ///     print(repr(s), sum(hmtx[cmap[ord(c)]][0] for c in s) * 12.0 / upm)
    /// ```
    #[test]
    fn widths_are_the_fonts_advances() {
        let cases = [
            ("0.5", 19.083984375),
            ("filter-normalized", 99.134765625),
            ("WWW", 35.595703125),
            ("iii", 10.001953125),
            ("train loss", 54.92578125),
            ("\u{2212}1e-4", 37.037109375),
        ];
        for (s, expected) in cases {
            let w = text_width(s, 12.0);
            assert!((w - expected).abs() < 1e-6, "{s:?}: {w} vs {expected}");
        }
        assert!((ascent(2048.0) - 1901.0).abs() < 1e-6);
        assert!((descent(2048.0) - 483.0).abs() < 1e-6);
    }
}
