//! Configuration: the embedded `config/default.toml`, a user file on top, environment
//! overrides, and errors that name file, line and key.

mod accounts;
mod archive;
mod hours;
mod notifications;
mod paths;
pub mod policy;
pub mod processors;
mod retention;
mod scheduled;
pub mod which_account;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::connector::RoomSelection;
pub use crate::domain::QuickReply;
pub use crate::engine::hooks::HooksConfig;
pub use crate::secrets::{SecretsBackend, SecretsConfig};
pub use accounts::{AccountConfig, ApiType, BridgeConfig};
pub use archive::ArchiveConfig;
pub use hours::HoursConfig;
pub use notifications::{Desktop, NotificationsConfig, TerminalSequence};
pub use paths::Paths;
pub use retention::RetentionConfig;
pub use scheduled::ScheduledConfig;

use crate::app::action::Action;
use crate::app::keymap::KeyChord;

/// The documented defaults, shipped inside the binary.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {key}{message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        /// Dotted key path, or empty when the TOML itself is malformed.
        key: String,
        message: String,
    },
    #[error("{path}: key `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub profile: ProfileConfig,
    pub ui: UiConfig,
    pub secrets: SecretsConfig,
    pub logging: LoggingConfig,
    pub quick_replies: Vec<QuickReply>,
    /// Action name → keys. Kept as spanned text so an unknown action can be reported with
    /// its line; [`Config::key_overrides`] gives the checked form.
    pub keymap: BTreeMap<toml::Spanned<String>, Vec<KeyChord>>,
    pub signal: SignalConfig,
    pub retention: RetentionConfig,
    /// The firm's Pflichtangaben (R-A1). Without it nothing can be sent on a real account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<crate::compliance::company::CompanyConfig>,
    pub footer: crate::compliance::footer::FooterConfig,
    pub consent: crate::compliance::consent::ConsentConfig,
    pub staff: Vec<crate::compliance::staff::StaffConfig>,
    pub monitoring: crate::compliance::staff::MonitoringConfig,
    pub accounts: Vec<AccountConfig>,
    pub daemon: DaemonConfig,
    /// Words and patterns that mark a customer's message urgent (docs/config.md).
    pub urgent: Vec<crate::domain::urgent::UrgentRule>,
    pub notifications: NotificationsConfig,
    pub hooks: HooksConfig,
    pub hours: HoursConfig,
    pub scheduled: ScheduledConfig,
    /// Who handles customer data for the firm (R-C7): hosts, bridges, messengers,
    /// backup target, timestamp authority.
    pub processors: Vec<processors::ProcessorConfig>,
    pub archive: ArchiveConfig,
    pub policy: policy::PolicyConfig,
}

/// `[daemon]`: where the daemon listens for seats (docs/daemon.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonConfig {
    /// The socket's path. Empty: `<data dir>/tresen.sock` when the data directory is
    /// set (`$TRESEN_DATA_DIR`, `[profile] data_dir`), else
    /// `$XDG_RUNTIME_DIR/tresen/tresen.sock`.
    pub socket: String,
    /// A group whose members may connect (the socket's directory becomes 0750 and
    /// belongs to it). Empty: only the daemon's own user.
    pub socket_group: String,
}

/// How tresen runs signal-cli for Signal accounts (docs/signal.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalConfig {
    /// The signal-cli launcher; a bare name is looked up on PATH.
    pub cli_path: String,
    /// signal-cli's data directory (the account's keys). Empty: `<data dir>/signal-cli`.
    pub data_dir: String,
    /// Use a signal-cli daemon that runs already instead of starting one: a UNIX socket
    /// path (`unix:` optional) or `tcp:127.0.0.1:7583` (loopback only). Empty: start one.
    #[serde(alias = "socket")]
    pub endpoint: String,
    /// Java runtime for signal-cli's JVM build. Empty: signal-cli finds one itself.
    pub java_home: String,
}

impl Default for SignalConfig {
    fn default() -> Self {
        Self {
            cli_path: "signal-cli".into(),
            data_dir: String::new(),
            endpoint: String::new(),
            java_home: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileConfig {
    pub name: String,
    pub data_dir: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguageSetting {
    Auto,
    De,
    En,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    pub language: LanguageSetting,
    pub mouse: bool,
    pub editor: String,
    pub staff_name: String,
    pub history_page: usize,
    pub send_typing: bool,
    /// The calling code a number typed in national form (0157 …) belongs to.
    pub default_country: String,
    pub theme: crate::app::Palette,
    /// Links as OSC 8 hyperlinks, clickable in terminals that support them.
    pub hyperlinks: bool,
    /// Photo previews in the conversation: "auto", "halfblocks" or "off".
    pub photos: crate::preview::PhotoMode,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoggingConfig {
    pub level: String,
    pub max_files: usize,
}

impl Config {
    /// The configured quick replies, then those tresen brings along (R-E1, R-E2) that
    /// no configured one replaces by name.
    pub fn all_quick_replies(&self) -> Vec<QuickReply> {
        let mut all = self.quick_replies.clone();
        for q in crate::compliance::orders::builtin_quick_replies(self.company.as_ref()) {
            if !all.iter().any(|c| c.name.eq_ignore_ascii_case(&q.name)) {
                all.push(q);
            }
        }
        all
    }
}

impl QuickReply {
    /// The text with `{kunde}`, `{datum}` and `{mitarbeiter}` filled in.
    pub fn fill(&self, kunde: &str, today: &str, staff: &str) -> String {
        self.text
            .replace("{kunde}", kunde)
            .replace("{datum}", today)
            .replace("{mitarbeiter}", staff)
    }
}

impl Default for ProfileConfig {
    fn default() -> Self {
        Self {
            name: "Geschäftlich".into(),
            data_dir: String::new(),
        }
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            language: LanguageSetting::Auto,
            mouse: false,
            editor: String::new(),
            staff_name: String::new(),
            history_page: 200,
            send_typing: true,
            default_country: "+49".into(),
            theme: crate::app::Palette::Dark,
            hyperlinks: true,
            photos: crate::preview::PhotoMode::Auto,
        }
    }
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            max_files: 7,
        }
    }
}

impl Default for Config {
    /// Equal to `config/default.toml` (a test keeps the two in step). Quick replies come
    /// from that file because they are content, not code.
    fn default() -> Self {
        let quick_replies = toml::from_str::<QuickRepliesOnly>(DEFAULT_TOML)
            .map(|q| q.quick_replies)
            .unwrap_or_default();
        Self {
            profile: ProfileConfig::default(),
            ui: UiConfig::default(),
            secrets: SecretsConfig::default(),
            logging: LoggingConfig::default(),
            quick_replies,
            keymap: BTreeMap::new(),
            signal: SignalConfig::default(),
            retention: RetentionConfig::default(),
            company: None,
            footer: Default::default(),
            consent: Default::default(),
            staff: Vec::new(),
            monitoring: Default::default(),
            accounts: Vec::new(),
            daemon: DaemonConfig::default(),
            urgent: Vec::new(),
            notifications: NotificationsConfig::default(),
            hooks: HooksConfig::default(),
            hours: HoursConfig::default(),
            scheduled: ScheduledConfig::default(),
            processors: Vec::new(),
            archive: ArchiveConfig::default(),
            policy: policy::PolicyConfig::default(),
        }
    }
}

#[derive(Deserialize)]
struct QuickRepliesOnly {
    #[serde(default)]
    quick_replies: Vec<QuickReply>,
}

/// Where tresen finds signal-cli (`signal.endpoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalEndpoint {
    /// tresen starts and supervises signal-cli itself.
    Spawn,
    Unix(PathBuf),
    /// A loopback address: signal-cli's TCP socket has no authentication and no
    /// encryption, so nothing else is accepted.
    Tcp(String),
}

impl SignalConfig {
    pub fn endpoint(&self) -> Result<SignalEndpoint, String> {
        let e = self.endpoint.trim();
        if e.is_empty() {
            return Ok(SignalEndpoint::Spawn);
        }
        if let Some(addr) = e.strip_prefix("tcp:") {
            let (host, port) = addr
                .rsplit_once(':')
                .ok_or_else(|| format!("`{e}`: expected tcp:HOST:PORT, e.g. tcp:127.0.0.1:7583"))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(format!(
                    "`{e}`: signal-cli's TCP socket has no password and no encryption; use it on \
                     this machine only (127.0.0.1 or ::1), or a UNIX socket"
                ));
            }
            if port.parse::<u16>().map_or(true, |p| p == 0) {
                return Err(format!("`{e}`: `{port}` is not a port number"));
            }
            return Ok(SignalEndpoint::Tcp(addr.to_string()));
        }
        let path = e.strip_prefix("unix:").unwrap_or(e);
        if !path.starts_with('/') {
            return Err(format!(
                "`{e}`: expected an absolute socket path (unix:/run/signal-cli/socket) or tcp:127.0.0.1:7583"
            ));
        }
        Ok(SignalEndpoint::Unix(PathBuf::from(path)))
    }
}

/// `+` and 7 to 15 digits, the first not 0 (E.164).
pub fn is_e164(n: &str) -> bool {
    n.strip_prefix('+').is_some_and(|d| {
        (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

/// Line and column of a dotted key such as `ui.history_page`, `accounts[1].id` or
/// `company.managing_directors[1]`, from the TOML parser's spans (so dotted keys, inline
/// tables and arrays of tables are found wherever they are written). A key that is not
/// in the text (a missing field) is reported where its table is.
fn locate_key(text: &str, key: &str) -> Option<(usize, usize)> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut table: &DeTable<'_> = root.get_ref();
    let mut found: Option<usize> = None;
    for segment in key.split('.') {
        let (name, index) = match segment.split_once('[') {
            Some((n, i)) => (n, Some(i.trim_end_matches(']').parse::<usize>().ok()?)),
            None => (segment, None),
        };
        let Some((k, v)) = table.iter().find(|(k, _)| k.get_ref() == name) else {
            break;
        };
        found = Some(k.span().start);
        let value = match (v.get_ref(), index) {
            (DeValue::Array(items), Some(i)) => {
                let Some(item) = items.get(i) else { break };
                // An element of an array of tables: where that table begins.
                found = Some(item.span().start);
                item.get_ref()
            }
            (value, _) => value,
        };
        match value {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    found.map(|offset| line_col(text, offset))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |p| before.len() - p - 1)
        + 1;
    (line, column)
}

impl Config {
    /// Parses a config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let parse_error = |e: toml::de::Error, key: String| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            let message = e.message().trim_end().to_string();
            // Map keys that are not plain strings show up as `?` in the path; the line
            // itself names the key.
            let key = match key.split_once(".?") {
                Some((table, rest)) => {
                    let name = text
                        .lines()
                        .nth(line - 1)
                        .and_then(|l| l.split_once('='))
                        .map(|(k, _)| k.trim().trim_matches('"').to_string())
                        .unwrap_or_else(|| "?".into());
                    format!("{table}.{name}{rest}")
                }
                None => key,
            };
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                key: if key.is_empty() || key == "." {
                    String::new()
                } else {
                    format!("key `{key}`: ")
                },
                message,
            }
        };
        let de = toml::Deserializer::parse(text).map_err(|e| parse_error(e, String::new()))?;
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            parse_error(e.into_inner(), key)
        })?;
        for name in config.keymap.keys() {
            if let Err(message) = name.get_ref().parse::<Action>() {
                let (line, column) = line_col(text, name.span().start);
                return Err(ConfigError::Parse {
                    path: path.to_path_buf(),
                    line,
                    column,
                    key: format!("key `keymap.{}`: ", name.get_ref()),
                    message: format!("{message}; run `tresen` and press ? for the list of actions"),
                });
            }
        }
        // Checks after parsing have no span; find the key in the text for a line number.
        config.validate(path).map_err(|e| match e {
            ConfigError::Invalid { path, key, message } => match locate_key(text, &key) {
                Some((line, column)) => ConfigError::Parse {
                    path,
                    line,
                    column,
                    key: format!("key `{key}`: "),
                    message,
                },
                None => ConfigError::Invalid { path, key, message },
            },
            other => other,
        })?;
        Ok(config)
    }

    /// Reads `path`, or the defaults if `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.to_string(),
            message,
        };
        if !crate::domain::phone::is_country_code(&self.ui.default_country) {
            return Err(invalid(
                "ui.default_country",
                format!(
                    "expected a calling code such as \"+49\", found \"{}\"",
                    self.ui.default_country
                ),
            ));
        }
        if self.ui.history_page == 0 || self.ui.history_page > 10_000 {
            return Err(invalid(
                "ui.history_page",
                format!("expected 1..=10000, found {}", self.ui.history_page),
            ));
        }
        if let Err(e) = self.signal.endpoint() {
            return Err(invalid("signal.endpoint", e));
        }
        if let Err(e) = crate::domain::urgent::UrgentRules::new(&self.urgent) {
            return Err(invalid(&e.key, e.message));
        }
        if let Err((key, message)) = self.hooks.check() {
            return Err(invalid(key, message));
        }
        if let Err((key, message)) = self.notifications.quiet() {
            return Err(invalid(&key, message));
        }
        if let Err((key, message)) = self.policy.load() {
            return Err(invalid(key, message));
        }
        if let Err((key, message)) = self.archive.check() {
            return Err(invalid(key, message));
        }
        if let Err((key, message)) = self.scheduled.check() {
            return Err(invalid(key, message));
        }
        if let Err((key, message)) = self.hours.away() {
            return Err(invalid(&key, message));
        }
        let classes = crate::archive::retention::CLASSES;
        if !classes.contains(&self.retention.default_class.as_str()) {
            return Err(invalid(
                "retention.default_class",
                format!(
                    "unknown class `{}`; one of: {}",
                    self.retention.default_class,
                    classes.join(", ")
                ),
            ));
        }
        for (tag, class) in &self.retention.tags {
            if !classes.contains(&class.as_str()) {
                return Err(invalid(
                    &format!("retention.tags.{tag}"),
                    format!("unknown class `{class}`; one of: {}", classes.join(", ")),
                ));
            }
        }
        if !(1..=30).contains(&self.retention.no_statutory_years) {
            return Err(invalid(
                "retention.no_statutory_years",
                format!(
                    "expected 1..=30, found {}",
                    self.retention.no_statutory_years
                ),
            ));
        }
        if let Err((key, message)) = self.retention.check() {
            return Err(invalid(key, message));
        }
        if let Err((key, message)) = self.monitoring.check() {
            return Err(invalid(&key, message));
        }
        if let Err(e) = self.compliance() {
            return Err(invalid(&e.key, e.message));
        }
        for (i, s) in self.staff.iter().enumerate() {
            if let Err(m) = crate::compliance::company::check_person_name(&s.name) {
                return Err(invalid(&format!("staff[{i}].name"), m));
            }
            if crate::compliance::staff::Role::parse(&s.role).is_none() {
                return Err(invalid(
                    &format!("staff[{i}].role"),
                    format!("`{}`: expected \"owner\", \"staff\" or \"auditor\"", s.role),
                ));
            }
            if let Err((key, m)) = s.audit_scope() {
                return Err(invalid(&format!("staff[{i}].{key}"), m));
            }
        }
        if self.logging.max_files == 0 {
            return Err(invalid("logging.max_files", "expected at least 1".into()));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.logging.level) {
            return Err(invalid(
                "logging.level",
                format!("not a valid log filter: {e}"),
            ));
        }
        if let Err((key, message)) = accounts::check(&self.accounts) {
            return Err(invalid(&key, message));
        }
        if let Err((key, message)) = processors::check(&self.processors) {
            return Err(invalid(&key, message));
        }
        for (i, q) in self.quick_replies.iter().enumerate() {
            if q.name.trim().is_empty() || q.text.trim().is_empty() {
                return Err(invalid(
                    &format!("quick_replies[{i}]"),
                    "name and text must not be empty".into(),
                ));
            }
        }
        Ok(())
    }

    /// The keymap overrides with action names resolved (checked at load).
    pub fn key_overrides(&self) -> BTreeMap<Action, Vec<KeyChord>> {
        self.keymap
            .iter()
            .filter_map(|(name, keys)| Some((name.get_ref().parse().ok()?, keys.clone())))
            .collect()
    }

    /// German unless configured or the locale says otherwise.
    pub fn language(&self) -> crate::app::i18n::Lang {
        use crate::app::i18n::Lang;
        match self.ui.language {
            LanguageSetting::De => Lang::De,
            LanguageSetting::En => Lang::En,
            LanguageSetting::Auto => Lang::from_locale_env(),
        }
    }

    /// Whether the user reads German (for layers that must not know the app's `Lang`).
    pub fn german(&self) -> bool {
        self.language() == crate::app::i18n::Lang::De
    }

    /// Who is working: the `[[staff]]` entry whose login is the OS user's (a mapped
    /// identity cannot be overridden), else `ui.staff_name`, else the login.
    pub fn staff_name(&self) -> String {
        let login = os_login();
        if let Some(s) = self
            .staff
            .iter()
            .find(|s| !s.login.is_empty() && s.login == login)
        {
            return s.name.clone();
        }
        if !self.ui.staff_name.trim().is_empty() {
            return self.ui.staff_name.trim().to_string();
        }
        login
    }

    /// The compliance rules this configuration sets (checked at load, so this only
    /// fails for a config built in code).
    pub fn compliance(
        &self,
    ) -> Result<crate::compliance::Compliance, crate::compliance::SetupError> {
        let enforced = self
            .accounts
            .iter()
            .filter(|a| a.network != crate::domain::AccountNetwork::Demo)
            .map(|a| a.id.clone())
            .collect();
        crate::compliance::Compliance::new(
            self.company.as_ref(),
            &self.footer,
            &self.consent,
            enforced,
            &processors::recipients(&self.processors),
        )
    }
}

/// The app's settings, taken from the configuration once at start.
impl crate::app::AppConfig {
    pub fn from_config(config: &Config, demo: bool) -> Self {
        Self {
            lang: config.language(),
            profile_name: config.profile.name.clone(),
            staff_name: config.staff_name(),
            quick_replies: config.all_quick_replies(),
            history_page: config.ui.history_page,
            keymap: crate::app::keymap::Keymap::new(&config.key_overrides()),
            demo,
            mouse: config.ui.mouse,
            send_typing: config.ui.send_typing,
            country: config.ui.default_country.clone(),
            photos: config.ui.photos != crate::preview::PhotoMode::Off,
            // https://no-color.org: any non-empty value turns colours off.
            theme: if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                crate::app::Palette::Mono
            } else {
                config.ui.theme
            },
            bell: config.notifications.bell,
            title: config.notifications.title,
            desktop: config.notifications.desktop != Desktop::Off,
            quiet: config.notifications.quiet().ok().flatten(),
            hours: office_hours(config),
            // What the staff member accepted is the archive's: the caller adds it.
            policy: config.policy.load().ok().flatten().map(|policy| {
                crate::compliance::policy::PolicyStatus {
                    policy,
                    accepted: None,
                }
            }),
            staff_info: crate::compliance::staff::what_is_stored(
                &config.staff_name(),
                &config.staff,
                &config.monitoring,
                config.language() == crate::app::i18n::Lang::De,
            ),
        }
    }
}

/// `[hours]` when set (a config that loaded has valid hours).
fn office_hours(config: &Config) -> Option<crate::domain::hours::Hours> {
    config.hours.hours().ok().filter(|h| h.is_set())
}

/// The operating-system login of this process (`$USER`, else the password database).
pub fn os_login() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| crate::fsutil::login_of(crate::fsutil::own_uid()))
        .unwrap_or_else(|| "staff".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 19, item 9: the composer says when an account sends without Pflichtangaben
    /// — only a demo account, and only without company data.
    #[test]
    fn only_a_demo_account_without_company_data_is_exempt_from_the_footer() {
        let text = "[[accounts]]\nid = \"demo\"\nnetwork = \"demo\"\n\n[[accounts]]\nid = \"sig\"\nnetwork = \"signal\"\npurpose = \"business\"\nnumber = \"+493012345678\"\n";
        let c = Config::parse(text, Path::new("c.toml"))
            .unwrap()
            .compliance()
            .unwrap();
        assert!(c.exempt("demo"));
        assert!(!c.exempt("sig"), "a real network is refused instead");
        assert!(c.cannot_send("sig").is_some());
    }

    #[test]
    fn shipped_defaults_equal_code_defaults() {
        let parsed = Config::parse(DEFAULT_TOML, Path::new("config/default.toml")).unwrap();
        assert_eq!(parsed, Config::default());
        assert_eq!(parsed.quick_replies.len(), 3);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = Config::parse("[ui]\nmouse = true\ncolour = 1\n", Path::new("c.toml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("c.toml:3:"), "{msg}");
        assert!(msg.contains("colour"), "{msg}");
    }

    #[test]
    fn checks_after_parsing_name_the_line_too() {
        let text = "[ui]\nlanguage = \"de\"\nhistory_page = 0\n\n[[accounts]]\nid = \"a\"\nnetwork = \"demo\"\n\n[[accounts]]\nid = \"a\"\nnetwork = \"demo\"\n";
        let e = Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:3:1: key `ui.history_page`"), "{e}");
        let fixed = text.replace("history_page = 0", "history_page = 5");
        let e = Config::parse(&fixed, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:10:1: key `accounts[1].id`"), "{e}");
        assert!(e.contains("used twice"), "{e}");
        // Written as a dotted key or an inline table, the key is still found.
        let e = Config::parse("# Büro\nui.history_page = 0\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        // The column of `history_page` itself, after `ui.`.
        assert!(e.starts_with("c.toml:2:4: key `ui.history_page`"), "{e}");
        let e = Config::parse(
            "ui = { mouse = true, history_page = 0 }\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:1:22: key `ui.history_page`"), "{e}");
    }

    #[test]
    fn wrong_type_names_key() {
        let e = Config::parse("[ui]\n\nmouse = \"yes\"\n", Path::new("c.toml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("c.toml:3:"), "{msg}");
        assert!(msg.contains("ui.mouse"), "{msg}");
    }
}
