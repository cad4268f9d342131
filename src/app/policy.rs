//! The usage policy screen (R-F1): shown before anything else when the staff member at
//! the keyboard has not accepted the version in force, and it stays until they accept
//! it (`a`) or leave (`q`). Nothing else works meanwhile.

use super::*;
use crate::compliance::policy::Accepted;

const P_LINE: (&str, &str) = ("Nutzungsrichtlinie: ", "Usage policy: ");

impl App {
    /// Opens the policy screen if the staff member has to accept it; notes on the `P`
    /// screen which version they accepted.
    pub(super) fn start_policy(&mut self) {
        let line = self.policy_line();
        self.cfg
            .staff_info
            .retain(|l| !l.starts_with(P_LINE.0) && !l.starts_with(P_LINE.1));
        self.cfg.staff_info.push(line);
        if self.cfg.policy.as_ref().is_some_and(|p| !p.current()) {
            self.overlay = Some(Overlay::Policy { scroll: 0 });
        }
    }

    /// The `P` screen's line about the usage policy.
    fn policy_line(&self) -> String {
        let lang = self.lang();
        let prefix = lang.t(P_LINE.0, P_LINE.1);
        match &self.cfg.policy {
            None => format!(
                "{prefix}{}",
                lang.t(
                    "keine festgelegt (in der Konfiguration unter [policy] der Schlüssel „file“).",
                    "none set ([policy] file in the configuration)."
                )
            ),
            Some(s) => match &s.accepted {
                Some(a) => format!(
                    "{prefix}{}",
                    match lang {
                        Lang::De => format!(
                            "Version {} angenommen am {}{}",
                            a.version,
                            a.at.to_local().format("%d.%m.%Y %H:%M"),
                            if s.current() {
                                "."
                            } else {
                                " (inzwischen geändert)."
                            }
                        ),
                        Lang::En => format!(
                            "version {} accepted on {}{}",
                            a.version,
                            a.at.to_local().format("%Y-%m-%d %H:%M"),
                            if s.current() {
                                "."
                            } else {
                                " (changed since)."
                            }
                        ),
                    }
                ),
                None => format!(
                    "{prefix}{}",
                    lang.t("noch nicht angenommen.", "not accepted yet.")
                ),
            },
        }
    }

    /// Keys on the policy screen: scroll, accept, leave.
    pub(super) fn policy_key(&mut self, key: KeyCode) -> Vec<Effect> {
        let lines = self
            .cfg
            .policy
            .as_ref()
            .map_or(0, |p| p.policy.text.lines().count());
        let Some(Overlay::Policy { scroll }) = &mut self.overlay else {
            return vec![];
        };
        let page = usize::from(self.height.saturating_sub(6)).max(1);
        match key {
            KeyCode::Char('j') | KeyCode::Down => {
                *scroll = (*scroll + 1).min(lines.saturating_sub(1))
            }
            KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => {
                *scroll = (*scroll + page).min(lines.saturating_sub(1))
            }
            KeyCode::PageUp => *scroll = scroll.saturating_sub(page),
            KeyCode::Char('a' | 'A') => {
                if let Some(p) = &self.cfg.policy {
                    self.flash = Some(
                        self.lang()
                            .t("Annahme wird gespeichert …", "Saving your acceptance …")
                            .into(),
                    );
                    return vec![Effect::Command(Command::AcceptPolicy {
                        version: p.policy.version.clone(),
                    })];
                }
            }
            KeyCode::Char('q' | 'Q') => return self.act(Action::Quit),
            _ => {}
        }
        vec![]
    }

    /// The acceptance is archived: the inbox opens.
    pub(super) fn policy_accepted(&mut self, version: String) -> Vec<Effect> {
        if let Some(p) = &mut self.cfg.policy {
            p.accepted = Some(Accepted {
                version: version.clone(),
                at: self.now,
            });
        }
        if matches!(self.overlay, Some(Overlay::Policy { .. })) {
            self.overlay = None;
        }
        self.start_policy();
        self.flash = Some(match self.lang() {
            Lang::De => format!("Nutzungsrichtlinie {version} angenommen"),
            Lang::En => format!("Usage policy {version} accepted"),
        });
        vec![]
    }
}
