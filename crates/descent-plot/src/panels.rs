//! Figures of several panels: SVG documents drawn separately (by this crate's plots or any
//! other), put side by side in one document.

use crate::PlotError;

/// Puts the SVG documents `panels` next to each other, left to right, in one SVG document:
/// each panel keeps its own size (its root's `width` and `height`, in user units) and the
/// result is as wide as their sum and as tall as the tallest. Anything before a panel's root
/// element (an XML declaration) is dropped.
///
/// # Errors
///
/// [`PlotError::InvalidInput`] naming `panels[i]` when a panel has no `<svg` root or no
/// numeric `width`/`height` on it, or when `panels` is empty.
///
/// # Example
///
/// ```
/// let a = r#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"></svg>"#;
/// let b = r#"<svg xmlns="http://www.w3.org/2000/svg" width="60" height="50"></svg>"#;
/// let both = descent_plot::panels::side_by_side(&[a, b])?;
/// assert!(both.contains(r#"width="100" height="50""#));
/// assert!(both.contains(r#"<svg x="40" y="0""#));
/// # Ok::<(), descent_plot::PlotError>(())
/// ```
pub fn side_by_side(panels: &[&str]) -> Result<String, PlotError> {
    if panels.is_empty() {
        return Err(PlotError::InvalidInput {
            field: "panels".into(),
            reason: "no panel to put side by side".into(),
        });
    }
    let mut body = String::new();
    let (mut x, mut height) = (0.0_f64, 0.0_f64);
    for (i, svg) in panels.iter().enumerate() {
        let bad = |reason: &str| PlotError::InvalidInput {
            field: format!("panels[{i}]"),
            reason: reason.into(),
        };
        let start = svg.find("<svg").ok_or_else(|| bad("not an SVG document"))?;
        let svg = &svg[start..];
        let attr = |name: &str| -> Option<f64> {
            let open = &svg[..svg.find('>')?];
            let at = open.find(&format!(" {name}=\""))? + name.len() + 3;
            open[at..].split('"').next()?.parse().ok()
        };
        let (w, h) = (
            attr("width").ok_or_else(|| bad("its root has no numeric width"))?,
            attr("height").ok_or_else(|| bad("its root has no numeric height"))?,
        );
        body.push_str(&svg.replacen("<svg", &format!("<svg x=\"{x}\" y=\"0\""), 1));
        body.push('\n');
        x += w;
        height = height.max(h);
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{x}\" height=\"{height}\" \
         viewBox=\"0 0 {x} {height}\">\n{body}</svg>\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_without_a_root_or_a_size_are_named() {
        let ok = r#"<svg width="10" height="10"></svg>"#;
        for (bad, field) in [
            ("<g></g>", "panels[1]"),
            (r#"<svg height="10"></svg>"#, "panels[1]"),
            (r#"<svg width="10%" height="10"></svg>"#, "panels[1]"),
        ] {
            match side_by_side(&[ok, bad]) {
                Err(PlotError::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(side_by_side(&[]).is_err());
    }

    #[test]
    fn an_xml_declaration_before_a_panel_is_dropped() {
        let a = "<?xml version=\"1.0\"?>\n<svg width=\"5\" height=\"7\"><rect/></svg>";
        let both = side_by_side(&[a, a]).expect("two panels");
        assert!(!both.contains("<?xml"));
        assert_eq!(both.matches("<svg").count(), 3);
        assert!(both.contains("width=\"10\" height=\"7\""));
        assert!(both.contains("<svg x=\"5\" y=\"0\" width=\"5\""));
    }
}
