//! `descent report`: one self-contained HTML page for runs and studies, made by
//! [`descent_report::write_report`] from their files.
//!
//! ```text
//! descent report runs/a                       # writes runs/a/report.html
//! descent report runs/a runs/b --out ab.html  # the two runs' curves overlaid
//! descent report studies/batch-size --out batch.html
//! ```

use std::path::PathBuf;

use clap::Args;

/// `descent report`: write one HTML page (no network needed to open it) for runs and studies.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Run folders (made by `descent train`), or folders of run folders (a study); several
    /// runs have their curves overlaid.
    #[arg(required = true, value_name = "RUN_OR_STUDY")]
    pub inputs: Vec<PathBuf>,
    /// The page to write [default: RUN/report.html for one input, else report.html].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// The page's default path for `inputs`.
pub fn default_out(inputs: &[PathBuf]) -> PathBuf {
    match inputs {
        [one] => one.join("report.html"),
        _ => PathBuf::from("report.html"),
    }
}

/// `path` as one word for a POSIX shell: as it is when it holds only safe characters, else in
/// single quotes.
pub fn shell_word(path: &std::path::Path) -> String {
    let text = path.display().to_string();
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if safe {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Runs `descent report`.
pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.inputs));
    let summary = descent_report::write_report(&args.inputs, &out)?;
    println!(
        "report of {} run{} ({} landscape file{}, {} figures): {}",
        summary.runs,
        if summary.runs == 1 { "" } else { "s" },
        summary.landscape_files,
        if summary.landscape_files == 1 {
            ""
        } else {
            "s"
        },
        summary.figures,
        out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_what_a_shell_would_split() {
        assert_eq!(
            shell_word(std::path::Path::new("runs/train-1")),
            "runs/train-1"
        );
        assert_eq!(shell_word(std::path::Path::new("my runs/a")), "'my runs/a'");
        assert_eq!(shell_word(std::path::Path::new("it's")), r"'it'\''s'");
    }
}
