//! `descent completions SHELL` and `descent man`: shell completions (clap_complete) and a
//! man page (clap_mangen), both made from the clap types, so they list every flag and the
//! choices of every typed value as `--help` does.

use std::io::Write as _;
use std::path::Path;

use clap::CommandFactory;
use descent_train::TrainError;

use crate::args::Cli;

/// Writes the completion script for `shell` to standard output.
///
/// # Errors
///
/// Writing to standard output fails.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut text = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "descent", &mut text);
    write_stdout(&text)
}

/// Writes the man page (roff) to standard output.
///
/// # Errors
///
/// Writing to standard output fails.
pub fn man() -> anyhow::Result<()> {
    let mut text = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut text)
        .map_err(|e| TrainError::io("rendering", Path::new("<man page>"), e))?;
    write_stdout(&text)
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| TrainError::io("writing", Path::new("<stdout>"), e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_and_man_page_name_the_commands_and_choices() {
        let mut bash = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut Cli::command(),
            "descent",
            &mut bash,
        );
        let bash = String::from_utf8(bash).expect("utf-8");
        for word in ["train", "landscape", "--schedule", "sgdr", "onecycle"] {
            assert!(bash.contains(word), "bash completions lack {word}");
        }
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut page)
            .expect("renders");
        let page = String::from_utf8(page).expect("utf-8");
        assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
        assert!(page.contains("descent"), "{page}");
    }
}
