//! A landscape scan as a real Slurm job array. The test starts a one-node cluster on this
//! machine from Debian's packages (`munged`, `slurmctld`, `slurmd`; `slurm.conf` written into
//! a temporary folder; everything on localhost, on free ports), submits
//! `scripts/slurm/scan.sbatch` as a user would (a 4-task array), requeues one task with
//! `scontrol requeue` after it has written some points (what preemption does: SIGTERM, then the
//! task is queued again and runs the script once more), lets `scripts/slurm/merge.sbatch` run
//! after `--dependency=afterok`, and checks that the merged scan file and its directions file
//! are byte-identical to those of the same scan run unsharded in one process.
//!
//! It needs root (slurmd starts each job as its owner) and the packages `slurmctld slurmd
//! munge` (`scripts/test` installs them). Without them it writes SKIPPED to the terminal and
//! passes, unless `DESCENT_REQUIRE_SLURM=1` (set by `.ci/run`): then it fails.
//!
//! Why a Rust test rather than a shell script: it runs with the rest of the suite on the binary
//! cargo just built, reads the scan files with the library, and the cluster's guard cancels the
//! jobs and stops the daemons on every way out, a failed assertion included.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{ok, s, text};
use descent_landscape::ScanFile;

/// The array's size.
const TASKS: usize = 4;

/// The task that is requeued.
const REQUEUED: usize = 1;

/// The scan every variant runs: a 2-D grid of 40 points (10 per task), saved after every point
/// so a requeue finds points on disk. 100,000 samples make a point take 0.08-0.3 s here, so
/// the requeued task is still running when the requeue reaches it (it is polled every 0.1 s).
const SCAN: [&str; 12] = [
    "--x",
    "-1:1:8",
    "--y",
    "-1:1:5",
    "--seed",
    "3",
    "--samples",
    "100000",
    "--batch-size",
    "1000",
    "--save-every",
    "0",
];

/// How long the whole array and the merge may take.
const DEADLINE: Duration = Duration::from_secs(300);

/// Writes to the terminal even when the harness captures output (it captures `print!` and
/// `eprint!`, not direct writes), so a skip cannot go unseen.
fn shout(message: &str) {
    let mut err = std::io::stderr();
    let _ = writeln!(err, "\n*** slurm test SKIPPED: {message} ***\n");
}

/// Skips (or, under `DESCENT_REQUIRE_SLURM=1`, fails) with `message`.
fn skip(message: &str) {
    if std::env::var("DESCENT_REQUIRE_SLURM").is_ok_and(|v| v == "1") {
        panic!("DESCENT_REQUIRE_SLURM=1 but {message}");
    }
    shout(message);
}

/// A program on PATH or in the system folders (`/usr/sbin` is not on every user's PATH).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Whether this process runs as root.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| text(&o.stdout).trim() == "0")
}

/// Two free TCP ports on localhost (held until both are chosen, then released).
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").expect("bind");
    let b = TcpListener::bind("127.0.0.1:0").expect("bind");
    (
        a.local_addr().expect("addr").port(),
        b.local_addr().expect("addr").port(),
    )
}

/// A running one-node cluster; dropping it cancels every job and stops the daemons.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    daemons: Vec<(&'static str, Child)>,
}

impl Cluster {
    /// Writes the configuration into `dir` and starts munged, slurmctld and slurmd in the
    /// foreground as children of this process, then waits for the node to be idle.
    fn start(dir: &Path, programs: &Programs) -> Cluster {
        let (ctld_port, slurmd_port) = free_ports();
        for sub in ["munge", "ctld", "slurmd", "log"] {
            std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        }
        let socket = dir.join("munge/munge.socket");
        let key = dir.join("munge/munge.key");
        ok(Command::new(&programs.mungekey)
            .args(["--create", "--keyfile", s(&key)])
            .output()
            .expect("mungekey runs"));
        let conf = dir.join("slurm.conf");
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::fs::write(
            &conf,
            format!(
                "ClusterName=descenttest\n\
                 SlurmctldHost=localhost\n\
                 SlurmctldPort={ctld_port}\n\
                 SlurmdPort={slurmd_port}\n\
                 SlurmUser=root\n\
                 SlurmdUser=root\n\
                 AuthType=auth/munge\n\
                 CredType=cred/munge\n\
                 AuthInfo=socket={socket}\n\
                 StateSaveLocation={dir}/ctld\n\
                 SlurmdSpoolDir={dir}/slurmd\n\
                 SlurmctldPidFile={dir}/slurmctld.pid\n\
                 SlurmdPidFile={dir}/slurmd.pid\n\
                 SlurmctldLogFile={dir}/log/slurmctld.log\n\
                 SlurmdLogFile={dir}/log/slurmd.log\n\
                 ProctrackType=proctrack/linuxproc\n\
                 TaskPlugin=task/none\n\
                 JobAcctGatherType=jobacct_gather/none\n\
                 AccountingStorageType=accounting_storage/none\n\
                 SelectType=select/cons_tres\n\
                 SelectTypeParameters=CR_Core\n\
                 SchedulerType=sched/builtin\n\
                 MpiDefault=none\n\
                 SwitchType=switch/none\n\
                 MailProg=/bin/true\n\
                 ReturnToService=2\n\
                 KillWait=5\n\
                 MinJobAge=600\n\
                 NodeName=localhost NodeHostname=localhost CPUs={cpus} State=UNKNOWN\n\
                 PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP\n",
                socket = socket.display(),
                dir = dir.display(),
            ),
        )
        .expect("write slurm.conf");
        let log = |name: &str| std::fs::File::create(dir.join("log").join(name)).expect("log file");
        let mut cluster = Cluster {
            dir: dir.to_path_buf(),
            conf: conf.clone(),
            daemons: Vec::new(),
        };
        let spawn = |program: &Path, args: &[&str], name: &str| {
            Command::new(program)
                .args(args)
                .env("SLURM_CONF", &conf)
                .stdin(Stdio::null())
                .stdout(log(&format!("{name}.out")))
                .stderr(log(&format!("{name}.err")))
                .spawn()
                .unwrap_or_else(|e| panic!("starting {name}: {e}"))
        };
        let munged = spawn(
            &programs.munged,
            &[
                "--foreground",
                "--force",
                &format!("--socket={}", socket.display()),
                &format!("--key-file={}", key.display()),
                &format!("--pid-file={}/munge/munged.pid", dir.display()),
                &format!("--log-file={}/log/munged.log", dir.display()),
                &format!("--seed-file={}/munge/munged.seed", dir.display()),
            ],
            "munged",
        );
        cluster.daemons.push(("munged", munged));
        cluster.wait_for(Duration::from_secs(20), "munged's socket", |_| {
            socket.exists()
        });
        let ctld = spawn(&programs.slurmctld, &["-D", "-f", s(&conf)], "slurmctld");
        cluster.daemons.push(("slurmctld", ctld));
        let slurmd = spawn(
            &programs.slurmd,
            &["-D", "-f", s(&conf), "-N", "localhost"],
            "slurmd",
        );
        cluster.daemons.push(("slurmd", slurmd));
        cluster.wait_for(Duration::from_secs(60), "the node to be idle", |c| {
            c.run("sinfo", &["-h", "-o", "%t"])
                .is_some_and(|o| text(&o.stdout).trim() == "idle")
        });
        cluster
    }

    /// A Slurm client command aimed at this cluster.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SLURM_CONF", &self.conf);
        cmd
    }

    /// Runs a client command; `None` if it could not start or failed.
    fn run(&self, program: &str, args: &[&str]) -> Option<Output> {
        self.command(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    }

    /// Runs a client command that must succeed, returning its stdout.
    fn must(&self, program: &str, args: &[&str]) -> String {
        let out = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?}: {}\n{}\n{}",
            out.status,
            text(&out.stderr),
            self.logs()
        );
        text(&out.stdout)
    }

    /// `scontrol show job ID` as one line of `Key=Value` fields (every task of an array).
    fn job(&self, id: &str) -> String {
        self.must("scontrol", &["show", "job", "-o", id])
    }

    /// Whether any of `ids` is still queued or running.
    fn active(&self, ids: &[&str]) -> bool {
        let list = ids.join(",");
        let out = self.must("squeue", &["-h", "-j", &list, "-o", "%i %T"]);
        !out.trim().is_empty()
    }

    /// Polls `done` every 100 ms until it holds; panics with the daemons' logs after `limit`,
    /// or if a daemon exits.
    fn wait_for(&mut self, limit: Duration, what: &str, mut done: impl FnMut(&Cluster) -> bool) {
        let start = Instant::now();
        loop {
            if done(self) {
                return;
            }
            let logs = read_logs(&self.dir);
            for (name, child) in &mut self.daemons {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("{name} exited ({status}) while waiting for {what}\n{logs}");
                }
            }
            assert!(
                start.elapsed() < limit,
                "timed out after {limit:?} waiting for {what}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The daemons' logs, for failure messages.
    fn logs(&self) -> String {
        read_logs(&self.dir)
    }
}

/// The tail of every log in `dir/log`.
fn read_logs(dir: &Path) -> String {
    let mut out = String::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("log")) {
        for entry in entries.flatten() {
            let body = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let tail: Vec<&str> = body.lines().rev().take(25).collect();
            out.push_str(&format!("--- {} ---\n", entry.path().display()));
            for line in tail.into_iter().rev() {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Every job on this private cluster is ours: cancel them, give their processes (run by
        // slurmstepd, not by us) a moment to end, then stop the daemons, newest first.
        let _ = self.command("scancel").args(["--user", "root"]).output();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            match self.command("squeue").args(["-h", "-o", "%i"]).output() {
                Ok(o) if o.status.success() && !text(&o.stdout).trim().is_empty() => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                _ => break,
            }
        }
        for (_, child) in self.daemons.iter_mut().rev() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The programs the test needs.
struct Programs {
    munged: PathBuf,
    mungekey: PathBuf,
    slurmctld: PathBuf,
    slurmd: PathBuf,
}

impl Programs {
    /// All of them, or the name of the first one missing.
    fn find() -> Result<Programs, String> {
        let need = |name: &str| find_program(name).ok_or_else(|| name.to_string());
        for client in ["sbatch", "scontrol", "squeue", "sinfo", "scancel"] {
            need(client)?;
        }
        Ok(Programs {
            munged: need("munged")?,
            mungekey: need("mungekey")?,
            slurmctld: need("slurmctld")?,
            slurmd: need("slurmd")?,
        })
    }
}

/// The binary with `args` in `cwd`, with none of the variables that choose a device or shard.
fn descent_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_descent"))
        .args(args)
        .current_dir(cwd)
        .env_remove("BURN_DEVICE")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .expect("the binary runs")
}

/// The repository's `scripts/slurm/NAME`.
fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/slurm")
        .join(name)
}

/// Trains an MLP 2-256-256-3 on spirals (one epoch) into `dir/run`.
fn train(dir: &Path) -> PathBuf {
    let run = dir.join("run");
    ok(descent_in(
        dir,
        &[
            "train",
            "--model",
            "mlp",
            "--hidden",
            "256,256",
            "--dataset",
            "spirals",
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--seed",
            "1",
            "--out",
            s(&run),
        ],
    ));
    run
}

#[test]
fn scan_as_a_slurm_job_array_with_a_requeued_task_merges_to_the_unsharded_file() {
    let programs = match Programs::find() {
        Ok(p) => p,
        Err(missing) => {
            return skip(&format!(
                "`{missing}` is not installed (apt-get install slurmctld slurmd munge)"
            ));
        }
    };
    if !is_root() {
        return skip("it needs root: slurmd starts each job as its owner");
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let run = train(dir);

    // The same scan unsharded, in one process. Both sides write `out/scan.npz` relative to
    // their own folder, so the directions file name recorded inside is the same text.
    let single = dir.join("single");
    std::fs::create_dir_all(&single).expect("mkdir");
    let mut args = vec!["landscape", "scan", s(&run), "--out", "out/scan.npz"];
    args.extend_from_slice(&SCAN);
    std::fs::create_dir_all(single.join("out")).expect("mkdir");
    ok(descent_in(&single, &args));

    let mut cluster = Cluster::start(&dir.join("cluster"), &programs);
    let submit = dir.join("slurm");
    std::fs::create_dir_all(&submit).expect("mkdir");
    let sbatch = |args: &[&str]| {
        let out = cluster
            .command("sbatch")
            .args(args)
            .current_dir(&submit)
            .env("DESCENT", env!("CARGO_BIN_EXE_descent"))
            .env_remove("BURN_DEVICE")
            .output()
            .expect("sbatch runs");
        assert!(
            out.status.success(),
            "sbatch {args:?}: {}",
            text(&out.stderr)
        );
        text(&out.stdout).trim().to_string()
    };
    // As the README says: the array, then the merge after it.
    let array = format!("--array=0-{}", TASKS - 1);
    let scan_script = script("scan.sbatch");
    let mut args = vec!["--parsable", &array, s(&scan_script), s(&run), "out"];
    args.extend_from_slice(&SCAN);
    let job = sbatch(&args);
    let merge_script = script("merge.sbatch");
    let after = format!("--dependency=afterok:{job}");
    let merge_job = sbatch(&["--parsable", &after, s(&merge_script), "out"]);

    // Requeue one task once its shard file holds some, not all, of its points.
    let share = 40 / TASKS;
    let shard_file = submit.join(format!("out/shards/shard-{REQUEUED}.npz"));
    let task = format!("{job}_{REQUEUED}");
    let mut seen = 0;
    cluster.wait_for(DEADLINE, "the task to write some points", |_| {
        seen = ScanFile::load(&shard_file).map_or(0, |f| f.done_count());
        seen > 0
    });
    assert!(
        seen < share,
        "task {REQUEUED} finished ({seen} points) before it could be requeued; make points slower"
    );
    cluster.must("scontrol", &["requeue", &task]);
    // A requeued job waits for a begin time Slurm sets about two minutes ahead; bring it
    // forward (not what is tested, and a real preemption would wait the same).
    let mut released = false;
    cluster.wait_for(DEADLINE, "the requeued task to run again", |c| {
        let state = c.job(&task);
        if !state.contains("Restarts=1") {
            return false;
        }
        if state.contains("JobState=PENDING") && !released {
            released = c
                .run(
                    "scontrol",
                    &["update", &format!("JobId={task}"), "StartTime=now"],
                )
                .is_some();
        }
        state.contains("JobState=RUNNING") || state.contains("JobState=COMPLETED")
    });
    cluster.wait_for(DEADLINE, "the array and the merge to finish", |c| {
        !c.active(&[&job, &merge_job])
    });

    // Every task and the merge succeeded; the requeued task ran twice.
    let tasks = cluster.job(&job);
    for line in tasks.lines() {
        assert!(
            line.contains("JobState=COMPLETED") && line.contains("ExitCode=0:0"),
            "{line}\n{}",
            cluster.logs()
        );
    }
    assert_eq!(tasks.lines().count(), TASKS, "{tasks}");
    assert!(
        cluster.job(&task).contains("Restarts=1"),
        "{}",
        cluster.job(&task)
    );
    let merged = cluster.job(&merge_job);
    assert!(
        merged.contains("JobState=COMPLETED") && merged.contains("ExitCode=0:0"),
        "{merged}\n{}",
        std::fs::read_to_string(submit.join(format!("descent-merge-{merge_job}.out")))
            .unwrap_or_default()
    );

    // The requeued task's log: the first attempt was stopped with points saved, the second
    // resumed and computed only the rest.
    let log = std::fs::read_to_string(submit.join(format!("descent-scan-{job}_{REQUEUED}.out")))
        .expect("task log");
    assert!(
        log.contains("attempt 1 ") && log.contains("attempt 2 "),
        "{log}"
    );
    let last = log
        .lines()
        .rev()
        .find(|l| l.contains("computed now"))
        .unwrap_or_else(|| panic!("no summary line in\n{log}"));
    let computed: usize = last
        .rsplit(", ")
        .next()
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the count in {last:?}"));
    assert!(
        last.contains(&format!(
            "{share} of 40 points done (shard {REQUEUED}/{TASKS})"
        )),
        "{last}"
    );
    assert!(
        computed > 0 && computed < share,
        "the second attempt computed {computed} of {share} points: it did not resume\n{log}"
    );

    // Byte for byte what the single process wrote, scan file and directions file.
    for name in ["out/scan.npz", "out/scan.directions.npz"] {
        let a = std::fs::read(submit.join(name)).expect("merged file");
        let b = std::fs::read(single.join(name)).expect("single file");
        assert!(a == b, "{name}: merged and unsharded files differ");
    }
    let merged = ScanFile::load(&submit.join("out/scan.npz")).expect("merged scan");
    assert_eq!(merged.done_count(), 40);
    assert_eq!(merged.meta.shard, None);
    drop(cluster);
}
