//! vdb's configuration files: `key = value` lines, `#` comments, blank lines ignored. The
//! repository's is `.vdb/config`; the global one is `$XDG_CONFIG_HOME/vdb/config` or
//! `~/.config/vdb/config`. Writing keeps the keys sorted.

use crate::context::{Result, VDB_DIR};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The keys vdb knows.
pub const KNOWN_KEYS: &[&str] = &["user.name", "user.email"];

/// One configuration file's contents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    entries: BTreeMap<String, String>,
}

impl Config {
    /// The repository config file of the repository at `top`.
    pub fn repo_path(top: &Path) -> PathBuf {
        top.join(VDB_DIR).join("config")
    }

    /// The global config file, if a home or XDG config directory is known.
    pub fn global_path() -> Option<PathBuf> {
        let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
        };
        Some(base.join("vdb").join("config"))
    }

    /// Reads `path`; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display()).into()),
        };
        Config::parse(&text).map_err(|e| format!("{}: {e}", path.display()).into())
    }

    /// Parses `key = value` lines.
    pub fn parse(text: &str) -> std::result::Result<Config, String> {
        let mut entries = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line.split_once('=').ok_or_else(|| {
                format!(
                    "line {}: expected `key = value`; fix or remove the line",
                    i + 1
                )
            })?;
            entries.insert(key.trim().to_string(), value.trim().to_string());
        }
        Ok(Config { entries })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.entries.insert(key.to_string(), value.to_string());
    }

    /// Writes the config to `path`, creating its directory.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut text = String::new();
        for (key, value) in &self.entries {
            text.push_str(&format!("{key} = {value}\n"));
        }
        std::fs::write(path, text)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_skips_comments_and_trims() {
        let c = Config::parse("# me\n user.name = Ada Lovelace \n\nuser.email=ada@x\n").unwrap();
        assert_eq!(c.get("user.name"), Some("Ada Lovelace"));
        assert_eq!(c.get("user.email"), Some("ada@x"));
        assert!(Config::parse("oops").unwrap_err().contains("line 1"));
    }
}
