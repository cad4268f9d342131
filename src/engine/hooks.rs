//! `[hooks]`: the office's own commands for new customer messages (an on-call phone, a
//! team channel). They run beside the engine and never hold up ingest: `on_message`
//! runs wait in a bounded queue (what does not fit is counted and logged, not run);
//! `on_urgent` runs are never dropped. A run gets what it needs in environment
//! variables — customer text never passes through a shell — and is killed after its
//! timeout; a failing one is logged and not retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use serde::{Deserialize, Serialize};

/// `[hooks]` in the config (docs/config.md): from the daemon's config only; the hooks
/// belong to the office, not to a seat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HooksConfig {
    /// Run for every new customer message: a program and its fixed arguments, split at
    /// spaces and run directly, never through a shell. Empty: none.
    pub on_message: String,
    /// Run for a message an `[[urgent]]` rule marks (as well as `on_message`).
    pub on_urgent: String,
    /// A run that takes longer is killed.
    pub timeout_secs: u64,
}

impl HooksConfig {
    /// The key that is wrong, and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let t = self.timeout_secs;
        if !(1..=300).contains(&t) {
            return Err(("hooks.timeout_secs", format!("expected 1..=300, found {t}")));
        }
        Ok(())
    }
}

impl Default for HooksConfig {
    fn default() -> Self {
        Self {
            on_message: String::new(),
            on_urgent: String::new(),
            timeout_secs: 10,
        }
    }
}

/// How many `on_message` runs may wait.
const QUEUE: usize = 64;
/// The preview's length, in characters.
const PREVIEW: usize = 100;

/// What a run is told about the message (as `TRESEN_*` environment variables).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub conversation: i64,
    pub network: String,
    pub contact_name: String,
    pub contact_address: String,
    pub urgent: bool,
    pub preview: String,
}

impl Event {
    fn env(&self, event: &str) -> Vec<(&'static str, String)> {
        vec![
            ("TRESEN_EVENT", event.to_string()),
            ("TRESEN_CONVERSATION", self.conversation.to_string()),
            ("TRESEN_NETWORK", self.network.clone()),
            ("TRESEN_CONTACT_NAME", self.contact_name.clone()),
            ("TRESEN_CONTACT_ADDRESS", self.contact_address.clone()),
            ("TRESEN_URGENT", u8::from(self.urgent).to_string()),
            ("TRESEN_PREVIEW", self.preview.clone()),
        ]
    }

    /// The preview a run may see: one line, control characters gone, at most 100
    /// characters.
    pub fn preview(body: &str) -> String {
        let clean = crate::domain::sanitize_for_terminal(body, false);
        let folded: String = clean.split_whitespace().collect::<Vec<_>>().join(" ");
        folded.chars().take(PREVIEW).collect()
    }
}

/// The running hooks; dropping it ends their runners once the queues are empty.
pub struct Hooks {
    message: Option<mpsc::Sender<Event>>,
    urgent: Option<mpsc::UnboundedSender<Event>>,
    dropped: Arc<AtomicU64>,
}

impl Hooks {
    /// Starts a runner per configured hook (needs a Tokio runtime).
    pub fn start(config: &HooksConfig) -> Option<Hooks> {
        let timeout = Duration::from_secs(config.timeout_secs.max(1));
        let message = command(&config.on_message).map(|cmd| {
            let (tx, mut rx) = mpsc::channel::<Event>(QUEUE);
            tokio::spawn(async move {
                while let Some(e) = rx.recv().await {
                    run(&cmd, "message", &e, timeout).await;
                }
            });
            tx
        });
        let urgent = command(&config.on_urgent).map(|cmd| {
            let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
            tokio::spawn(async move {
                while let Some(e) = rx.recv().await {
                    run(&cmd, "urgent", &e, timeout).await;
                }
            });
            tx
        });
        (message.is_some() || urgent.is_some()).then(|| Hooks {
            message,
            urgent,
            dropped: Arc::default(),
        })
    }

    /// Hands a new customer message to the hooks; never waits.
    pub fn fire(&self, event: Event) {
        if event.urgent
            && let Some(tx) = &self.urgent
        {
            let _ = tx.send(event.clone());
        }
        if let Some(tx) = &self.message
            && tx.try_send(event).is_err()
        {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(dropped = n, "on_message hook busy: a run was dropped");
        }
    }
}

/// The program and its fixed arguments; `None` when none is configured.
fn command(line: &str) -> Option<Vec<String>> {
    let parts: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    (!parts.is_empty()).then_some(parts)
}

async fn run(cmd: &[String], event: &str, e: &Event, timeout: Duration) {
    let Some((program, args)) = cmd.split_first() else {
        return;
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .envs(e.env(event))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(err) => {
            tracing::warn!(hook = event, %program, error = %err, "hook could not be started");
            return;
        }
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => {
            tracing::info!(hook = event, conversation = e.conversation, "hook ran");
        }
        Ok(Ok(status)) => {
            tracing::warn!(hook = event, %program, %status, "hook failed (not retried)");
        }
        Ok(Err(err)) => tracing::warn!(hook = event, %program, error = %err, "hook lost"),
        Err(_) => {
            let _ = child.kill().await;
            tracing::warn!(
                hook = event,
                %program,
                secs = timeout.as_secs(),
                "hook killed after its timeout"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_is_one_clean_line_of_at_most_100_characters() {
        let p = Event::preview("Notfall!\n\x1b[31mWasser\t läuft ".repeat(20).as_str());
        assert!(!p.contains('\n') && !p.contains('\x1b'));
        assert_eq!(p.chars().count(), 100);
        // The escape is shown, not obeyed (the same sanitiser as the terminal's).
        assert!(p.starts_with("Notfall! ␛[31mWasser läuft Notfall!"), "{p}");
    }

    #[test]
    fn no_command_no_hook() {
        assert_eq!(command("   "), None);
        assert_eq!(
            command("/usr/local/bin/rufbereitschaft --team heizung"),
            Some(vec![
                "/usr/local/bin/rufbereitschaft".to_string(),
                "--team".into(),
                "heizung".into()
            ])
        );
    }
}
