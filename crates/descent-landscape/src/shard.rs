//! Splitting a scan's points over machines: point `k` belongs to shard `k mod count`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::LandscapeError;

/// One share of a scan's points: shard `index` of `count` (0-based), written `index/count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, `0..count`.
    pub index: usize,
    /// How many shards in all, at least 1.
    pub count: usize,
}

impl Shard {
    /// A checked shard.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] if `count` is 0 or `index >= count`.
    pub fn new(index: usize, count: usize) -> Result<Shard, LandscapeError> {
        if count == 0 || index >= count {
            return Err(LandscapeError::invalid(
                "shard",
                format!("{index}/{count}"),
                "expected index/count with 0 <= index < count",
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether point `k` is in this shard.
    pub fn contains(&self, k: usize) -> bool {
        k % self.count == self.index
    }

    /// The shard a cluster scheduler assigned, from the environment: Slurm job arrays
    /// (`SLURM_ARRAY_TASK_ID`, with `SLURM_ARRAY_TASK_COUNT`, or `count` when given), or a
    /// Kubernetes indexed job (`JOB_COMPLETION_INDEX`, which needs `count`). `None` when
    /// neither is set. `lookup` reads a variable (pass `|k| std::env::var(k).ok()`).
    ///
    /// Slurm numbers tasks from `SLURM_ARRAY_TASK_MIN` (0 if unset); the shard index is the
    /// task id minus that.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] for unparsable values or a missing count.
    pub fn from_env(
        lookup: impl Fn(&str) -> Option<String>,
        count: Option<usize>,
    ) -> Result<Option<Shard>, LandscapeError> {
        let number = |name: &'static str, text: String| {
            text.trim()
                .parse::<usize>()
                .map_err(|_| LandscapeError::invalid(name, text, "not a whole number"))
        };
        if let Some(id) = lookup("SLURM_ARRAY_TASK_ID") {
            let id = number("SLURM_ARRAY_TASK_ID", id)?;
            let min = match lookup("SLURM_ARRAY_TASK_MIN") {
                Some(m) => number("SLURM_ARRAY_TASK_MIN", m)?,
                None => 0,
            };
            let total = match (count, lookup("SLURM_ARRAY_TASK_COUNT")) {
                (Some(c), _) => c,
                (None, Some(c)) => number("SLURM_ARRAY_TASK_COUNT", c)?,
                (None, None) => {
                    return Err(LandscapeError::invalid(
                        "shard count",
                        "unset",
                        "SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT; pass --shard-count",
                    ));
                }
            };
            let index = id.checked_sub(min).ok_or_else(|| {
                LandscapeError::invalid("SLURM_ARRAY_TASK_ID", id, "is below SLURM_ARRAY_TASK_MIN")
            })?;
            return Shard::new(index, total).map(Some);
        }
        if let Some(index) = lookup("JOB_COMPLETION_INDEX") {
            let index = number("JOB_COMPLETION_INDEX", index)?;
            let count = count.ok_or_else(|| {
                LandscapeError::invalid(
                    "shard count",
                    "unset",
                    "JOB_COMPLETION_INDEX is set; pass --shard-count (the job's completions)",
                )
            })?;
            return Shard::new(index, count).map(Some);
        }
        Ok(None)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || LandscapeError::invalid("shard", s, "expected index/count, e.g. 0/4");
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index = i.trim().parse().map_err(|_| bad())?;
        let count = n.trim().parse().map_err(|_| bad())?;
        Shard::new(index, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn parses_round_trips_and_partitions() {
        let s: Shard = "1/3".parse().expect("valid");
        assert_eq!(s, Shard { index: 1, count: 3 });
        assert_eq!(s.to_string().parse::<Shard>().expect("again"), s);
        for bad in ["3/3", "1/0", "a/2", "1", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        // Every point is in exactly one shard.
        for k in 0..20 {
            let owners = (0..3)
                .filter(|&i| Shard::new(i, 3).expect("valid").contains(k))
                .count();
            assert_eq!(owners, 1);
        }
    }

    #[test]
    fn reads_slurm_and_kubernetes_indices() {
        let none = Shard::from_env(env(&[]), None).expect("ok");
        assert_eq!(none, None);
        let slurm = Shard::from_env(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "5"),
                ("SLURM_ARRAY_TASK_COUNT", "8"),
            ]),
            None,
        )
        .expect("ok");
        assert_eq!(slurm, Some(Shard { index: 5, count: 8 }));
        let offset = Shard::from_env(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "5"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "8"),
            ]),
            None,
        )
        .expect("ok");
        assert_eq!(offset, Some(Shard { index: 4, count: 8 }));
        let k8s = Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "2")]), Some(4)).expect("ok");
        assert_eq!(k8s, Some(Shard { index: 2, count: 4 }));
        let err = Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "2")]), None).expect_err("count");
        assert!(err.to_string().contains("--shard-count"), "{err}");
        let err =
            Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "9")]), Some(4)).expect_err("range");
        assert!(err.to_string().contains("9/4"), "{err}");
    }
}
