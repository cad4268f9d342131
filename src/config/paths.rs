//! Where a profile's files are: the config file (`--config`, `$TRESEN_CONFIG`, XDG), the
//! data directory and the logs (`$TRESEN_DATA_DIR`, `[profile] data_dir`, XDG).

use std::path::{Path, PathBuf};

use super::Config;

/// Where a profile's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The config file in effect, if any.
    pub config_file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    /// Where the daemon listens for seats (`[daemon] socket`).
    pub socket: PathBuf,
}

fn absolute_env(name: &str) -> Option<PathBuf> {
    // A relative XDG path is invalid per the spec; ignoring it beats writing into $PWD.
    std::env::var_os(name)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "tresen")
}

impl Paths {
    /// The config file: `--config`, else `$TRESEN_CONFIG`, else the XDG file if it exists.
    pub fn config_file(cli: Option<&Path>) -> Option<PathBuf> {
        if let Some(p) = cli {
            return Some(p.to_path_buf());
        }
        if let Some(p) = std::env::var_os("TRESEN_CONFIG").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(p));
        }
        let base = absolute_env("XDG_CONFIG_HOME")
            .map(|d| d.join("tresen"))
            .or_else(|| project_dirs().map(|d| d.config_dir().to_path_buf()))?;
        let p = base.join("config.toml");
        p.exists().then_some(p)
    }

    pub fn resolve(config_file: Option<PathBuf>, config: &Config) -> Paths {
        let data_dir = absolute_env("TRESEN_DATA_DIR")
            .or_else(|| {
                let d = config.profile.data_dir.trim();
                (!d.is_empty()).then(|| PathBuf::from(shellexpand_home(d)))
            })
            .or_else(|| absolute_env("XDG_DATA_HOME").map(|d| d.join("tresen")))
            .or_else(|| project_dirs().map(|d| d.data_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".tresen"));
        let log_dir = if std::env::var_os("TRESEN_DATA_DIR").is_some() {
            data_dir.join("logs")
        } else {
            absolute_env("XDG_STATE_HOME")
                .map(|d| d.join("tresen"))
                .or_else(|| project_dirs().and_then(|d| d.state_dir().map(Path::to_path_buf)))
                .unwrap_or_else(|| data_dir.clone())
                .join("logs")
        };
        let explicit_data = std::env::var_os("TRESEN_DATA_DIR").is_some()
            || !config.profile.data_dir.trim().is_empty();
        let socket = match config.daemon.socket.trim() {
            "" if explicit_data => data_dir.join("tresen.sock"),
            "" => absolute_env("XDG_RUNTIME_DIR")
                .map(|d| d.join("tresen").join("tresen.sock"))
                .unwrap_or_else(|| data_dir.join("tresen.sock")),
            s => PathBuf::from(shellexpand_home(s)),
        };
        Paths {
            config_file,
            data_dir,
            log_dir,
            socket,
        }
    }

    pub fn store_file(&self) -> PathBuf {
        self.data_dir.join("inbox.db")
    }
}

fn shellexpand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => p.to_string(),
    }
}
