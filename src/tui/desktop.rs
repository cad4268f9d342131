//! Desktop notifications for this seat: over the seat's own D-Bus session bus
//! (`org.freedesktop.Notifications`), or — over SSH, or where no notification service
//! answers — the terminal's own sequence (OSC 777 or OSC 9), which the terminal on the
//! user's desk turns into a notification.

use std::io::Write;
use std::time::Duration;

use crate::config::{Desktop, TerminalSequence};

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

/// How long a call to the notification service may take before it is given up.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);

pub struct Notifier {
    bus: Option<zbus::blocking::Connection>,
    sequence: Option<TerminalSequence>,
}

impl Notifier {
    /// As `[notifications] desktop` says: `auto` uses D-Bus on this machine's own
    /// desktop (not over SSH: that bus is the server's) when a notification service
    /// answers, else the terminal's sequence.
    pub fn new(mode: Desktop, sequence: TerminalSequence) -> Notifier {
        let over_ssh = ["SSH_CONNECTION", "SSH_TTY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        let bus = match mode {
            Desktop::Auto if !over_ssh => session_bus(None),
            Desktop::Dbus => session_bus(None),
            _ => None,
        };
        let sequence = match mode {
            Desktop::Auto if bus.is_none() => Some(sequence),
            Desktop::Terminal => Some(sequence),
            _ => None,
        };
        tracing::info!(
            dbus = bus.is_some(),
            terminal = sequence.is_some(),
            "desktop notifications"
        );
        Notifier { bus, sequence }
    }

    /// Over the bus at `address` only (tests run their own).
    pub fn on_bus(address: &str) -> Notifier {
        Notifier {
            bus: session_bus(Some(address)),
            sequence: None,
        }
    }

    pub fn off() -> Notifier {
        Notifier {
            bus: None,
            sequence: None,
        }
    }

    /// Whether a notification service answered.
    pub fn has_bus(&self) -> bool {
        self.bus.is_some()
    }

    /// Shows `summary` and `body` (both sanitised already). A D-Bus call runs on its
    /// own thread: a slow notification service never stalls the inbox.
    pub fn notify(&self, summary: &str, body: &str) {
        if let Some(bus) = &self.bus {
            let (bus, summary, body) = (bus.clone(), summary.to_string(), body.to_string());
            let spawned = std::thread::Builder::new()
                .name("notify".into())
                .spawn(move || {
                    if let Err(e) = call(&bus, &summary, &body) {
                        tracing::warn!(error = %e, "desktop notification failed");
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "desktop notification not sent");
            }
            return;
        }
        if let Some(sequence) = self.sequence {
            let mut out = std::io::stdout();
            let _ = out.write_all(osc(sequence, summary, body).as_bytes());
            let _ = out.flush();
        }
    }
}

/// The session bus, if a notification service on it answers.
fn session_bus(address: Option<&str>) -> Option<zbus::blocking::Connection> {
    let builder = match address {
        Some(a) => zbus::blocking::connection::Builder::address(a),
        None => zbus::blocking::connection::Builder::session(),
    };
    let bus = builder
        .and_then(|b| b.method_timeout(CALL_TIMEOUT).build())
        .map_err(|e| tracing::info!(error = %e, "no D-Bus session bus"))
        .ok()?;
    // Also starts an activatable service (as the desktop would on the first call).
    let info: Result<(String, String, String, String), _> = bus
        .call_method(
            Some(SERVICE),
            PATH,
            Some(SERVICE),
            "GetServerInformation",
            &(),
        )
        .and_then(|m| m.body().deserialize());
    match info {
        Ok((name, vendor, version, _)) => {
            tracing::info!(%name, %vendor, %version, "notification service");
            Some(bus)
        }
        Err(e) => {
            tracing::info!(error = %e, "no notification service on the session bus");
            None
        }
    }
}

fn call(bus: &zbus::blocking::Connection, summary: &str, body: &str) -> zbus::Result<()> {
    let hints: std::collections::HashMap<&str, zbus::zvariant::Value<'_>> =
        [("category", zbus::zvariant::Value::from("im.received"))].into();
    bus.call_method(
        Some(SERVICE),
        PATH,
        Some(SERVICE),
        "Notify",
        &(
            "tresen",
            0u32,
            "",
            summary,
            body,
            Vec::<&str>::new(),
            hints,
            -1i32,
        ),
    )?;
    Ok(())
}

/// The terminal's notification sequence. Text is sanitised before; `;` would end a
/// field of OSC 777, so it becomes `,`.
pub fn osc(sequence: TerminalSequence, summary: &str, body: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_control())
            .map(|c| if c == ';' { ',' } else { c })
            .collect()
    };
    match sequence {
        TerminalSequence::Osc777 => {
            format!("\x1b]777;notify;{};{}\x1b\\", clean(summary), clean(body))
        }
        TerminalSequence::Osc9 => format!("\x1b]9;{}: {}\x07", clean(summary), clean(body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_carry_no_control_characters_from_customers() {
        let s = osc(
            TerminalSequence::Osc777,
            "Frau; Neu",
            "Hallo\x1b]0;pwned\x07 Welt",
        );
        assert_eq!(s, "\x1b]777;notify;Frau, Neu;Hallo]0,pwned Welt\x1b\\");
        let s = osc(TerminalSequence::Osc9, "Frau Neu", "Hallo");
        assert_eq!(s, "\x1b]9;Frau Neu: Hallo\x07");
    }
}
