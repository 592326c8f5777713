//! The crash suite's child process as the test runs it: started with its configuration,
//! its stdout read as [`ChildLine`]s and its stderr kept, killed with SIGKILL.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use selfreport_tests::crash::{ChildConfig, ChildLine};

/// The child process with threads draining its stdout (parsed lines) and stderr.
pub(crate) struct RunningChild {
    child: Child,
    stdout: JoinHandle<Vec<ChildLine>>,
    stderr: JoinHandle<String>,
}

impl RunningChild {
    pub(crate) fn start(config: &ChildConfig) -> Self {
        let program = env!("CARGO_BIN_EXE_selfreport-crash-child");
        let mut child = Command::new(program)
            .args(config.to_args())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        Self {
            child,
            stdout: std::thread::spawn(move || {
                // A line cut short by the kill has no newline; only whole lines count.
                let mut reader = BufReader::new(stdout);
                let mut lines = Vec::new();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|read| read > 0) {
                    if let Some(whole) = line.strip_suffix('\n') {
                        lines.push(
                            whole
                                .parse()
                                .unwrap_or_else(|error| panic!("child stdout: {error}")),
                        );
                    }
                    line.clear();
                }
                lines
            }),
            stderr: std::thread::spawn(move || {
                let mut text = String::new();
                let _ = BufReader::new(stderr).read_to_string(&mut text);
                text
            }),
        }
    }

    /// SIGKILL; false if the child had already stopped.
    pub(crate) fn kill(&mut self) -> bool {
        let running = matches!(self.child.try_wait(), Ok(None));
        if running {
            self.child.kill().expect("kill the child");
        }
        self.child.wait().expect("wait for the child");
        running
    }

    pub(crate) fn finish(self) -> (Vec<ChildLine>, String) {
        (
            self.stdout.join().expect("stdout reader"),
            self.stderr.join().expect("stderr reader"),
        )
    }
}

/// What the child was doing when it was killed: the step its last line started.
pub(crate) fn phase(lines: &[ChildLine]) -> &'static str {
    match lines.last() {
        None => "opening",
        Some(ChildLine::Saving(_)) => "saving",
        Some(ChildLine::Syncing) => "syncing",
        Some(_) => "between steps",
    }
}
