//! A small SVG document builder: the one place that writes SVG markup. Every text it
//! writes is measured with the embedded font and recorded, with the boxes callers add
//! (plot area, colour bar, legend), in the figure's [`Layout`].

use std::fmt::Write as _;

use crate::font::{self, FAMILY};
use crate::layout::{Layout, Part, Region};

/// How text is anchored horizontally at its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// An SVG document being built.
pub(crate) struct Svg {
    body: String,
    width: f64,
    height: f64,
    clip_id: usize,
    regions: Vec<Region>,
}

/// How a text is set: its size in px, its anchor, and its rotation in degrees about its
/// position (clockwise on screen, as SVG's `rotate`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TextStyle {
    pub size: f64,
    pub anchor: Anchor,
    pub rotate: f64,
}

impl TextStyle {
    /// `size` px, anchored at its start, not rotated.
    pub(crate) fn new(size: f64) -> Self {
        TextStyle {
            size,
            anchor: Anchor::Start,
            rotate: 0.0,
        }
    }

    /// The same, anchored at `anchor`.
    pub(crate) fn anchor(self, anchor: Anchor) -> Self {
        TextStyle { anchor, ..self }
    }

    /// The same, rotated by `degrees`.
    pub(crate) fn rotate(self, degrees: f64) -> Self {
        TextStyle {
            rotate: degrees,
            ..self
        }
    }
}

/// The box `s` fills when set in `style` with its baseline anchored at `at`: the advance
/// widths across, the font's ascent and descent up and down, turned with the text.
pub(crate) fn text_region(part: Part, at: [f64; 2], style: TextStyle, s: &str) -> Region {
    let w = font::text_width(s, style.size);
    let x0 = match style.anchor {
        Anchor::Start => 0.0,
        Anchor::Middle => -w / 2.0,
        Anchor::End => -w,
    };
    let (up, down) = (font::ascent(style.size), font::descent(style.size));
    let (sin, cos) = style.rotate.to_radians().sin_cos();
    let corners = [[x0, -up], [x0 + w, -up], [x0 + w, down], [x0, down]]
        .iter()
        .map(|[dx, dy]| [at[0] + dx * cos - dy * sin, at[1] + dx * sin + dy * cos])
        .collect();
    Region {
        part,
        text: s.to_string(),
        on_plot: matches!(part, Part::ContourLabel | Part::MarkerLabel),
        corners,
    }
}

impl Svg {
    /// An empty white `width` x `height` document.
    pub(crate) fn new(width: f64, height: f64) -> Self {
        let mut s = Svg {
            body: String::new(),
            width,
            height,
            clip_id: 0,
            regions: Vec::new(),
        };
        s.rect(0.0, 0.0, width, height, "#ffffff", None);
        s
    }

    /// A filled rectangle with an optional stroke colour.
    pub(crate) fn rect(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: &str,
        stroke: Option<&str>,
    ) {
        let stroke = stroke.map_or(String::new(), |c| {
            format!(" stroke=\"{c}\" stroke-width=\"1\"")
        });
        let _ = writeln!(
            self.body,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"{stroke}/>",
            n(x),
            n(y),
            n(w),
            n(h)
        );
    }

    /// A straight line.
    pub(crate) fn line(&mut self, a: [f64; 2], b: [f64; 2], stroke: &str, width: f64) {
        let _ = writeln!(
            self.body,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{}\"/>",
            n(a[0]),
            n(a[1]),
            n(b[0]),
            n(b[1]),
            n(width)
        );
    }

    /// One `<path>` of several polylines (`closed`: polygons), with the given attributes
    /// (`fill="..." stroke="..."`, ...). Pieces with fewer than 2 points are skipped.
    pub(crate) fn path(&mut self, pieces: &[Vec<[f64; 2]>], closed: bool, attrs: &str) {
        let mut d = String::new();
        for piece in pieces.iter().filter(|p| p.len() >= 2) {
            for (k, p) in piece.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{} {}",
                    if k == 0 { "M" } else { "L" },
                    n(p[0]),
                    n(p[1])
                );
            }
            if closed {
                d.push('Z');
            }
        }
        if !d.is_empty() {
            let _ = writeln!(self.body, "<path d=\"{d}\" {attrs}/>");
        }
    }

    /// A circle.
    pub(crate) fn circle(&mut self, c: [f64; 2], r: f64, attrs: &str) {
        let _ = writeln!(
            self.body,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {attrs}/>",
            n(c[0]),
            n(c[1]),
            n(r)
        );
    }

    /// Text `s` with its baseline anchored at `at`, set in `style`, recorded in the layout
    /// as `part`. Empty text draws and records nothing.
    pub(crate) fn text(&mut self, part: Part, at: [f64; 2], style: TextStyle, s: &str) {
        self.text_with(part, at, style, s, "");
    }

    /// [`Svg::text`] with a white halo around the letters, readable over any colour.
    pub(crate) fn text_halo(&mut self, part: Part, at: [f64; 2], style: TextStyle, s: &str) {
        self.text_with(
            part,
            at,
            style,
            s,
            " stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"",
        );
    }

    /// [`Svg::text`] with more attributes (` fill="..."`, with a leading space).
    pub(crate) fn text_with(
        &mut self,
        part: Part,
        at: [f64; 2],
        style: TextStyle,
        s: &str,
        attrs: &str,
    ) {
        if s.is_empty() {
            return;
        }
        self.draw_text(at, style, s, attrs);
        self.regions.push(text_region(part, at, style, s));
    }

    /// Draws text without recording it: for text inside a box that is recorded whole (the
    /// legend's entries).
    pub(crate) fn draw_text(&mut self, at: [f64; 2], style: TextStyle, s: &str, attrs: &str) {
        let anchor = match style.anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let transform = if style.rotate == 0.0 {
            String::new()
        } else {
            format!(
                " transform=\"rotate({} {} {})\"",
                n(style.rotate),
                n(at[0]),
                n(at[1])
            )
        };
        let _ = writeln!(
            self.body,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\"{transform}{attrs}>{}</text>",
            n(at[0]),
            n(at[1]),
            n(style.size),
            escape(s)
        );
    }

    /// Records a region that is not text (the plot area, the colour bar, the legend box).
    pub(crate) fn record(&mut self, region: Region) {
        self.regions.push(region);
    }

    /// Starts a group clipped to a rectangle; close it with [`Svg::end_group`].
    pub(crate) fn begin_clip(&mut self, x: f64, y: f64, w: f64, h: f64) {
        self.clip_id += 1;
        let id = self.clip_id;
        let _ = writeln!(
            self.body,
            "<clipPath id=\"clip{id}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>\n<g clip-path=\"url(#clip{id})\">",
            n(x),
            n(y),
            n(w),
            n(h)
        );
    }

    /// Ends a group.
    pub(crate) fn end_group(&mut self) {
        self.body.push_str("</g>\n");
    }

    /// The finished document and its layout.
    pub(crate) fn finish(self) -> (String, Layout) {
        let layout = Layout {
            width: self.width,
            height: self.height,
            regions: self.regions,
        };
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FAMILY}, Helvetica, Arial, sans-serif\">\n{}</svg>\n",
            self.body,
            w = n(self.width),
            h = n(self.height),
        );
        (doc, layout)
    }
}

/// A coordinate with two decimals, no trailing zeros (keeps files small).
pub(crate) fn n(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// XML-escapes text content.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_numbers_are_short() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(n(1.0), "1");
        assert_eq!(n(1.256), "1.26");
        assert_eq!(n(-0.001), "0");
        let mut s = Svg::new(10.0, 10.0);
        let style = TextStyle::new(12.0).anchor(Anchor::Middle).rotate(-90.0);
        s.text(Part::YLabel, [1.0, 2.0], style, "x<y");
        let (doc, layout) = s.finish();
        assert!(doc.contains("x&lt;y"), "{doc}");
        assert!(doc.contains("rotate(-90 1 2)"), "{doc}");
        assert_eq!(layout.regions.len(), 1);
        assert_eq!(layout.regions[0].text, "x<y");
    }

    #[test]
    fn a_text_box_turns_with_the_text() {
        let w = font::text_width("loss", 14.0);
        let (up, down) = (font::ascent(14.0), font::descent(14.0));
        let flat = text_region(
            Part::XLabel,
            [100.0, 50.0],
            TextStyle::new(14.0).anchor(Anchor::Middle),
            "loss",
        );
        let b = flat.bounds();
        assert!((b[0] - (100.0 - w / 2.0)).abs() < 1e-9 && (b[2] - (100.0 + w / 2.0)).abs() < 1e-9);
        assert!((b[1] - (50.0 - up)).abs() < 1e-9 && (b[3] - (50.0 + down)).abs() < 1e-9);
        // Rotated -90 degrees (a left y label): the text reads upwards, its ascent to the left.
        let style = TextStyle::new(14.0).anchor(Anchor::Middle).rotate(-90.0);
        let b = text_region(Part::YLabel, [20.0, 200.0], style, "loss").bounds();
        assert!(
            (b[0] - (20.0 - up)).abs() < 1e-9 && (b[2] - (20.0 + down)).abs() < 1e-9,
            "{b:?}"
        );
        assert!(
            (b[1] - (200.0 - w / 2.0)).abs() < 1e-9 && (b[3] - (200.0 + w / 2.0)).abs() < 1e-9,
            "{b:?}"
        );
    }
}
