//! The viridis colour map (perceptually uniform, readable in grey and by colour-blind
//! readers), and the colours of series and paths.

use crate::viridis_table::VIRIDIS;

/// The viridis colour at `t` in `[0, 1]` (dark purple at 0, yellow at 1) as `[r, g, b]`:
/// matplotlib's 256-entry table looked up as matplotlib does (`cm.viridis(t)` is entry
/// `floor(t * 256)`, the last one for `t = 1`), each channel rounded to 8 bits. `t` outside
/// is clamped, NaN gives the colour at 0.
pub fn viridis(t: f64) -> [u8; 3] {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let k = ((t * VIRIDIS.len() as f64) as usize).min(VIRIDIS.len() - 1);
    VIRIDIS[k].map(|c| (c * 255.0).round() as u8)
}

/// Colours for line-plot series (matplotlib's `tab10`), cycled.
pub(crate) const SERIES: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// Colours for paths over a viridis surface: warm and light colours that stand out against
/// it (each path also gets a dark outline), cycled.
pub(crate) const PATHS: [&str; 8] = [
    "#e41a1c", "#ff7f00", "#ffffff", "#f781bf", "#00e5ff", "#a65628", "#ffff99", "#984ea3",
];

/// `#rrggbb` for an SVG attribute.
pub(crate) fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_are_matplotlibs_viridis_ends() {
        // matplotlib: cm.viridis(0.0) = (0.267004, 0.004874, 0.329415),
        //             cm.viridis(1.0) = (0.993248, 0.906157, 0.143936).
        let close = |c: [u8; 3], f: [f64; 3]| {
            c.iter()
                .zip(f)
                .all(|(a, b)| (f64::from(*a) - b * 255.0).abs() <= 1.0)
        };
        assert!(
            close(viridis(0.0), [0.267004, 0.004874, 0.329415]),
            "{:?}",
            viridis(0.0)
        );
        assert!(
            close(viridis(1.0), [0.993248, 0.906157, 0.143936]),
            "{:?}",
            viridis(1.0)
        );
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }

    /// Entries checked against matplotlib 3.11.2:
    ///
    /// ```python
    /// import matplotlib
    /// v = matplotlib.colormaps['viridis']
    /// for t in [0.1, 0.25, 0.3, 0.5, 0.62, 0.75, 0.9, 0.946, 1.0]:
    ///     print(t, matplotlib.colors.to_hex(v(t)))
    /// ```
    ///
    /// The 11-point interpolation this replaced gave `#482576` at 0.1, `#29ad80` at 0.62 and
    /// `#d9e326` at 0.946, 14/255 off in blue there.
    #[test]
    fn entries_are_matplotlibs() {
        let cases = [
            (0.1, "#482475"),
            (0.25, "#3b528b"),
            (0.3, "#355f8d"),
            (0.5, "#21918c"),
            (0.62, "#26ad81"),
            (0.75, "#5ec962"),
            (0.9, "#bddf26"),
            (0.946, "#dde318"),
            (1.0, "#fde725"),
        ];
        for (t, expected) in cases {
            assert_eq!(hex(viridis(t)), expected, "t = {t}");
        }
    }

    #[test]
    fn brightness_increases_along_the_map() {
        let luma = |c: [u8; 3]| {
            0.299 * f64::from(c[0]) + 0.587 * f64::from(c[1]) + 0.114 * f64::from(c[2])
        };
        let l: Vec<f64> = (0..=20).map(|k| luma(viridis(k as f64 / 20.0))).collect();
        assert!(l.windows(2).all(|w| w[1] > w[0]), "{l:?}");
        assert_eq!(hex([0x44, 0x01, 0x54]), "#440154");
    }
}
