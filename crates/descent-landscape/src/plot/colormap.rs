//! The viridis colour map (perceptually uniform, readable in grey and by colour-blind readers).

/// matplotlib's viridis sampled at `0, 0.1, ..., 1` (the `viridisLite::viridis(11)` values);
/// [`viridis`] interpolates linearly between them.
const VIRIDIS: [[u8; 3]; 11] = [
    [0x44, 0x01, 0x54],
    [0x48, 0x25, 0x76],
    [0x41, 0x44, 0x87],
    [0x35, 0x60, 0x8d],
    [0x2a, 0x78, 0x8e],
    [0x21, 0x90, 0x8c],
    [0x22, 0xa8, 0x84],
    [0x43, 0xbf, 0x71],
    [0x7a, 0xd1, 0x51],
    [0xbb, 0xdf, 0x27],
    [0xfd, 0xe7, 0x25],
];

/// The viridis colour at `t` in `[0, 1]` (dark purple at 0, yellow at 1) as `[r, g, b]`;
/// `t` outside is clamped, NaN gives the colour at 0.
pub fn viridis(t: f64) -> [u8; 3] {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    let k = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - k as f64;
    let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
    std::array::from_fn(|c| {
        (f64::from(a[c]) + f * (f64::from(b[c]) - f64::from(a[c]))).round() as u8
    })
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
