//! [`ImageFormat`]: SVG or PNG, chosen from the output file's extension.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::PlotError;

/// The image formats the plot functions write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Scalable vector graphics (text stays text; the best choice for papers).
    Svg,
    /// A PNG raster, drawn from the same SVG with an embedded DejaVu Sans font, so its text
    /// does not depend on the fonts installed on the machine.
    Png,
}

impl ImageFormat {
    /// The format named by `path`'s extension (`.svg` or `.png`, any case).
    ///
    /// # Errors
    /// [`PlotError::UnsupportedFormat`] for any other or a missing extension.
    pub fn from_path(path: &Path) -> Result<Self, PlotError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        ext.parse().map_err(|_| PlotError::UnsupportedFormat {
            path: path.to_path_buf(),
            reason: if ext.is_empty() {
                "no extension; use .svg or .png".into()
            } else {
                format!("extension .{ext} is not one of .svg, .png")
            },
        })
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Svg => "svg",
            ImageFormat::Png => "png",
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for ImageFormat {
    type Err = PlotError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "svg" => Ok(ImageFormat::Svg),
            "png" => Ok(ImageFormat::Png),
            _ => Err(PlotError::invalid(
                "format",
                format!("{s:?} is not one of svg, png"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_extension_in_any_case() {
        assert_eq!(
            ImageFormat::from_path(Path::new("a/b.SVG")).expect("svg"),
            ImageFormat::Svg
        );
        assert_eq!(
            ImageFormat::from_path(Path::new("x.png")).expect("png"),
            ImageFormat::Png
        );
        for f in [ImageFormat::Svg, ImageFormat::Png] {
            assert_eq!(f.to_string().parse::<ImageFormat>().expect("round trip"), f);
        }
    }

    #[test]
    fn unknown_or_missing_extension_is_a_typed_error_naming_the_file() {
        let err = ImageFormat::from_path(Path::new("plot.jpg")).expect_err("jpg");
        assert!(matches!(err, PlotError::UnsupportedFormat { .. }));
        assert!(err.to_string().contains("plot.jpg"), "{err}");
        assert!(err.to_string().contains(".jpg"), "{err}");
        let err = ImageFormat::from_path(Path::new("plot")).expect_err("none");
        assert!(err.to_string().contains("no extension"), "{err}");
    }
}
