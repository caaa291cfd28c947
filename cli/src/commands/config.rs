//! `vdb config`: reads or sets user.name / user.email in the repository's or the global config.

use crate::config::{Config, KNOWN_KEYS};
use crate::context::{discover, Result};
use crate::fail;
use std::path::Path;

/// Get or set a configuration value (user.name, user.email).
///
/// Example: `vdb config --global user.name "Ada Lovelace"`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Use the global config (~/.config/vdb/config) instead of the repository's.
    #[arg(long)]
    global: bool,
    /// The key: user.name or user.email.
    key: String,
    /// The new value; without it, the current value is printed.
    value: Option<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    if !KNOWN_KEYS.contains(&args.key.as_str()) {
        fail!(
            "unknown config key {}; use one of: {}",
            args.key,
            KNOWN_KEYS.join(", ")
        );
    }
    let path = if args.global {
        Config::global_path()
            .ok_or("neither HOME nor XDG_CONFIG_HOME is set; set one to use --global")?
    } else {
        Config::repo_path(&discover(start)?)
    };
    let mut config = Config::load(&path)?;
    match &args.value {
        Some(value) => {
            config.set(&args.key, value);
            config.save(&path)
        }
        None => {
            // Reading from the repository falls back to the global config, as commits do.
            let global = match (args.global, Config::global_path()) {
                (false, Some(path)) => Config::load(&path)?,
                _ => Config::default(),
            };
            match config.get(&args.key).or_else(|| global.get(&args.key)) {
                Some(value) => {
                    println!("{value}");
                    Ok(())
                }
                None => fail!(
                    "{} is not set; set it with `vdb config --global {} VALUE`",
                    args.key,
                    args.key
                ),
            }
        }
    }
}
