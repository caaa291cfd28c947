//! Shared by the scenario tests: a temporary directory to run the real `vdb` binary in, with
//! its own config home so the user's settings never leak in.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A scratch directory and helpers to run `vdb` there.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// An empty directory (no repository yet).
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A directory with a repository and a configured user.
    pub fn repo() -> Scratch {
        let s = Scratch::new();
        s.ok(&["init"]);
        s.ok(&["config", "user.name", "Test User"]);
        s.ok(&["config", "user.email", "test@example.com"]);
        s
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to file `name` in the directory; returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs `vdb args` in `dir`.
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vdb"))
            .args(args)
            .current_dir(dir)
            .env("XDG_CONFIG_HOME", self.path().join(".xdg"))
            .env("HOME", self.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    /// Runs `vdb args` in the directory with `input` on standard input.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vdb"))
            .args(args)
            .current_dir(self.path())
            .env("XDG_CONFIG_HOME", self.path().join(".xdg"))
            .env("HOME", self.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs `vdb args` in the directory.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_in(self.path(), args)
    }

    /// Runs `vdb args`, which must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "vdb {args:?} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// Runs `vdb args`, which must fail; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "vdb {args:?} should have failed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// `vdb table import FLAGS... TABLE FILE`, which must succeed; returns stdout.
    pub fn import_file(&self, flags: &[&str], table: &str, file: &Path) -> String {
        self.ok(&import_args(flags, table, file))
    }

    /// `vdb table import FLAGS... TABLE FILE`, which must fail; returns stderr.
    pub fn import_file_fails(&self, flags: &[&str], table: &str, file: &Path) -> String {
        self.fails(&import_args(flags, table, file))
    }

    /// Imports `csv` into `table` with `mode` (e.g. "--update").
    pub fn import(&self, mode: &str, table: &str, csv: &str) -> String {
        let file = self.write(&format!("{table}.csv"), csv);
        self.ok(&["table", "import", mode, table, file.to_str().unwrap()])
    }

    /// Table `table` at `rev` as CSV text.
    pub fn export(&self, table: &str, rev: &str) -> String {
        let file = self.path().join("export.csv");
        self.ok(&[
            "table",
            "export",
            table,
            "--at",
            rev,
            file.to_str().unwrap(),
        ]);
        std::fs::read_to_string(file).unwrap()
    }

    /// A repository with a committed `people` table (id, name, score) of three rows.
    pub fn with_people() -> Scratch {
        let s = Scratch::repo();
        let file = s.write(
            "people.csv",
            "id,name,score\n1,ann,10\n2,bob,20\n3,cat,30\n",
        );
        s.import_file(&["--create", "--pk", "id"], "people", &file);
        s.ok(&["add", "people"]);
        s.ok(&["commit", "-m", "add people"]);
        s
    }
}

/// The arguments of `vdb table import FLAGS... TABLE FILE`.
fn import_args<'a>(flags: &[&'a str], table: &'a str, file: &'a Path) -> Vec<&'a str> {
    let mut args = vec!["table", "import"];
    args.extend_from_slice(flags);
    args.extend([table, file.to_str().unwrap()]);
    args
}
