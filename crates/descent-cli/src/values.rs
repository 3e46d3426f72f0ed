//! Typed command-line values: a flag whose value is a name (`--model`, `--dataset`,
//! `--schedule`, `--norm`, ...) is parsed by clap with the library type's own `FromStr`, so
//! its aliases and its error message stay the library's, and `--help`, the completions and
//! the man page list its choices.
//!
//! ```
//! use clap::Parser;
//! use descent_data::DatasetKind;
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[arg(long, value_parser = descent_cli::values::named(DatasetKind::ALL, DatasetKind::as_str))]
//!     dataset: DatasetKind,
//! }
//! let cli = Cli::try_parse_from(["x", "--dataset", "fashion_mnist"]).unwrap(); // an alias
//! assert_eq!(cli.dataset, DatasetKind::FashionMnist);
//! assert!(Cli::try_parse_from(["x", "--dataset", "imagenet"]).is_err());
//! ```

use std::ffi::OsStr;
use std::fmt::Display;
use std::marker::PhantomData;
use std::str::FromStr;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;

/// Parses values of `T` with `T::from_str`, listing the names of the given values as the
/// choices.
pub struct Named<T> {
    names: Vec<&'static str>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Named<T> {
    fn clone(&self) -> Self {
        Named {
            names: self.names.clone(),
            _type: PhantomData,
        }
    }
}

/// A parser for `T` whose choices are `values`, named by `name` (the name `FromStr` takes
/// and `Display` prints).
pub fn named<T>(values: impl IntoIterator<Item = T>, name: fn(&T) -> &'static str) -> Named<T> {
    Named {
        names: values.into_iter().map(|v| name(&v)).collect(),
        _type: PhantomData,
    }
}

/// A parser for `T` listing `names` as the choices, for a type whose values are not a
/// fixed set (`--model resnetN` takes any `N = 6n + 2`; the common ones are listed).
pub fn listed<T>(names: &[&'static str]) -> Named<T> {
    Named {
        names: names.to_vec(),
        _type: PhantomData,
    }
}

/// A parser for `T` by its `FromStr`, for values that are not names (a range `-1:1:51`, a
/// shard `3/16`): errors come from the library type, and no choices are listed.
pub fn parsed<T>() -> Named<T> {
    listed(&[])
}

impl<T> TypedValueParser for Named<T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: Display,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let flag = arg.map_or_else(|| "the value".to_string(), |a| format!("'{a}'"));
        let text = value.to_str().ok_or_else(|| {
            clap::Error::raw(ErrorKind::InvalidUtf8, format!("{flag} is not UTF-8\n")).with_cmd(cmd)
        })?;
        text.parse::<T>().map_err(|e| {
            clap::Error::raw(
                ErrorKind::InvalidValue,
                format!("invalid value '{text}' for {flag}: {e}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        if self.names.is_empty() {
            return None;
        }
        Some(Box::new(self.names.iter().map(|n| PossibleValue::new(*n))))
    }
}

/// A clap error as one line (`error: ...`), the way every other failure is reported: its
/// lines joined, without the blank lines, the usage and the "try --help" hint.
pub fn one_line(err: &clap::Error) -> String {
    let text = err.render().to_string();
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:")
        })
        .collect();
    let line = parts.join(" ");
    match line.strip_prefix("error: ") {
        Some(rest) => format!("error: {rest}"),
        None => format!("error: {line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use descent_optim::schedule::ScheduleKind;

    #[derive(Parser, Debug)]
    struct Cli {
        #[arg(long, value_parser = named(ScheduleKind::ALL.iter().copied(), |k| k.name()))]
        schedule: ScheduleKind,
    }

    #[test]
    fn names_and_aliases_parse_and_errors_are_the_librarys() {
        let cli = Cli::try_parse_from(["x", "--schedule", "warm-restarts"]).expect("alias");
        assert_eq!(cli.schedule, ScheduleKind::Sgdr);
        let err = Cli::try_parse_from(["x", "--schedule", "plateau"]).expect_err("unknown");
        let line = one_line(&err);
        assert!(
            line.starts_with("error: invalid value 'plateau' for '--schedule"),
            "{line}"
        );
        assert!(line.contains("expected one of: constant, step"), "{line}");
        assert!(!line.contains('\n'), "{line}");
    }

    #[test]
    fn help_lists_the_choices() {
        use clap::CommandFactory;
        let help = Cli::command().render_help().to_string();
        assert!(help.contains("sgdr") && help.contains("onecycle"), "{help}");
    }
}
