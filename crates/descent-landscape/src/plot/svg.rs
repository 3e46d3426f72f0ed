//! A small SVG document builder: the one place that writes SVG markup.

use std::fmt::Write as _;

/// The font family every text element names; the PNG renderer registers the embedded
/// DejaVu Sans under it.
pub(crate) const FONT: &str = "DejaVu Sans";

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
}

impl Svg {
    /// An empty white `width` x `height` document.
    pub(crate) fn new(width: f64, height: f64) -> Self {
        let mut s = Svg {
            body: String::new(),
            width,
            height,
            clip_id: 0,
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

    /// Text at `(x, y)` (baseline), `size` px, rotated by `rotate` degrees about its position.
    pub(crate) fn text(&mut self, x: f64, y: f64, size: f64, anchor: Anchor, rotate: f64, s: &str) {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let transform = if rotate == 0.0 {
            String::new()
        } else {
            format!(" transform=\"rotate({} {} {})\"", n(rotate), n(x), n(y))
        };
        let _ = writeln!(
            self.body,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\"{transform}>{}</text>",
            n(x),
            n(y),
            n(size),
            escape(s)
        );
    }

    /// Text with a white halo (readable over any colour), anchored at `(x, y)`.
    pub(crate) fn text_halo(&mut self, x: f64, y: f64, size: f64, anchor: Anchor, s: &str) {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = writeln!(
            self.body,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\">{}</text>",
            n(x),
            n(y),
            n(size),
            escape(s)
        );
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

    /// The finished document.
    pub(crate) fn finish(self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}, Helvetica, Arial, sans-serif\">\n{}</svg>\n",
            self.body,
            w = n(self.width),
            h = n(self.height),
        )
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

/// Roughly how wide `s` is at `size` px in DejaVu Sans (for layout; an average advance of
/// 0.6 em per character, generous for digits and lowercase).
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.6
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
        s.text(1.0, 2.0, 12.0, Anchor::Middle, -90.0, "x<y");
        let doc = s.finish();
        assert!(doc.contains("x&lt;y"), "{doc}");
        assert!(doc.contains("rotate(-90 1 2)"), "{doc}");
    }
}
