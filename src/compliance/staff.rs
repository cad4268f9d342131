//! Staff identities and the works-council-safe defaults (R-D1…R-D5). tresen has no
//! per-person statistics, response-time tracking, presence or "seen by" at all; the
//! `[monitoring]` switches exist so that a firm which someday adds such a feature must
//! name its works agreement and DPIA first. Pure: no IO.

use serde::{Deserialize, Serialize};

/// `[[staff]]`: who works the inbox. Names appear on outgoing messages in the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffConfig {
    /// Full name, as recorded on what this person sends.
    pub name: String,
    /// Operating-system login that identifies this person (defaults to nothing: then
    /// `ui.staff_name` or the login itself is used).
    #[serde(default)]
    pub login: String,
    /// `staff` (default; `agent` is the old name), `owner` or `auditor` (read-only);
    /// what each may do: docs/daemon.md.
    #[serde(default = "agent")]
    pub role: String,
    /// For an auditor (required then): the first and last day of the audit period
    /// (YYYY-MM-DD) and the retention classes it covers (default: all three
    /// tax-relevant ones). The seat sees nothing outside them (R-B8, Z1).
    #[serde(default)]
    pub audit_from: String,
    #[serde(default)]
    pub audit_to: String,
    #[serde(default)]
    pub audit_classes: Vec<String>,
}

impl StaffConfig {
    /// An auditor's scope, checked; `Err` is (key, what to fix).
    pub fn audit_scope(
        &self,
    ) -> Result<Option<crate::compliance::audit_scope::AuditScope>, (&'static str, String)> {
        if Role::parse(&self.role) != Some(Role::Auditor) {
            if !self.audit_from.is_empty()
                || !self.audit_to.is_empty()
                || !self.audit_classes.is_empty()
            {
                return Err((
                    "audit_from",
                    "an audit period is for role = \"auditor\" only".into(),
                ));
            }
            return Ok(None);
        }
        crate::compliance::audit_scope::AuditScope::parse(
            &self.audit_from,
            &self.audit_to,
            &self.audit_classes,
        )
        .map(Some)
    }
}

fn agent() -> String {
    "staff".into()
}

/// What a seat may do (docs/daemon.md has the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The firm's owner: everything, including destroying and exporting archive data.
    Owner,
    /// Works the inbox: answers, notes, triage.
    Staff,
    /// Reads only: every change is refused (R-B8 Z1, R-C14).
    Auditor,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim() {
            "owner" => Some(Role::Owner),
            "staff" | "agent" => Some(Role::Staff),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Staff => "staff",
            Role::Auditor => "auditor",
        }
    }
}

/// Who works at a seat, as the daemon decided from the operating system's login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Recorded on what this seat sends, notes and changes.
    pub name: String,
    pub role: Role,
    /// An auditor's period and classes: nothing outside them reaches the seat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<crate::compliance::audit_scope::AuditScope>,
}

/// What a staff member sees in place of a colleague's name on an outgoing message.
pub const TEAM: &str = "Team";

impl Identity {
    /// Who said what for the firm is for the owner and an auditor (R-D3): the
    /// accountability the archive keeps it for, and nobody's yardstick.
    pub fn sees_senders(&self) -> bool {
        self.role != Role::Staff
    }

    /// An outgoing message's sender as this viewer sees it: their own name, tresen's
    /// automatic sender, and for a staff member "Team" for everyone else.
    pub fn shown_sender<'a>(&self, sender: &'a str) -> &'a str {
        if self.sees_senders() || sender == self.name || sender == crate::domain::AUTOMATIC {
            sender
        } else {
            TEAM
        }
    }

    /// Content marked as special-category or third-party data is the owner's to see
    /// (R-E4, R-C14).
    pub fn sees_sensitive(&self) -> bool {
        self.role == Role::Owner
    }

    /// Marked messages as this viewer may see them: for anyone but the owner, the mark
    /// without the text, the files or an edit.
    pub fn withhold(&self, messages: &mut [crate::domain::Message]) {
        if self.sees_sensitive() {
            return;
        }
        for m in messages.iter_mut().filter(|m| m.sensitive.is_some()) {
            m.body.clear();
            m.attachments.clear();
            m.edit = None;
        }
    }

    /// The senders of outgoing chat messages as this viewer may see them. Notes keep
    /// their author: a note is written to colleagues, who need to know whom to ask.
    pub fn attribute(&self, messages: &mut [crate::domain::Message]) {
        for m in messages {
            if m.direction == crate::domain::Direction::Outbound
                && m.kind == crate::domain::MessageKind::Chat
            {
                let shown = self.shown_sender(&m.sender);
                if shown != m.sender {
                    m.sender = shown.to_string();
                }
            }
        }
    }
}

/// Maps a login to a staff member. Without `[[staff]]` only the daemon's own login
/// works, as the owner (the one-person firm); with it, only listed logins do.
pub fn identify(
    staff: &[StaffConfig],
    login: &str,
    own_login: &str,
    own_name: &str,
) -> Option<Identity> {
    if staff.is_empty() {
        return (login == own_login).then(|| Identity {
            name: own_name.to_string(),
            role: Role::Owner,
            scope: None,
        });
    }
    staff
        .iter()
        .find(|s| !s.login.is_empty() && s.login == login)
        .map(|s| Identity {
            name: s.name.clone(),
            role: Role::parse(&s.role).unwrap_or(Role::Staff),
            // Checked when the config loaded; a scope that does not parse shows nothing.
            scope: match s.audit_scope() {
                Ok(scope) => scope,
                Err(_) => crate::compliance::audit_scope::AuditScope::parse(
                    "1970-01-01",
                    "1970-01-01",
                    &[],
                )
                .ok(),
            },
        })
}

/// `[monitoring]`: every switch off. Turning one on needs a works agreement (or the
/// attestation that there is no works council) and a DPIA reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonitoringConfig {
    pub agent_stats: bool,
    pub response_time_per_agent: bool,
    pub agent_presence: bool,
    pub seen_by_agent: bool,
    pub customer_rating_per_agent: bool,
    pub sla_per_agent: bool,
    /// Betriebsvereinbarung id and date.
    pub works_agreement_ref: String,
    /// The firm attests it has no works council (a fact, not a size: § 1 BetrVG allows
    /// one from 5 employees on).
    pub no_works_council_attestation: bool,
    /// Data-protection impact assessment reference (Art. 35 GDPR).
    pub dpia_ref: String,
    /// Team figures only over at least this many people (never below 3).
    pub min_group_size: usize,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        Self {
            agent_stats: false,
            response_time_per_agent: false,
            agent_presence: false,
            seen_by_agent: false,
            customer_rating_per_agent: false,
            sla_per_agent: false,
            works_agreement_ref: String::new(),
            no_works_council_attestation: false,
            dpia_ref: String::new(),
            min_group_size: 5,
        }
    }
}

impl MonitoringConfig {
    /// The switches that are on, by name.
    pub fn enabled(&self) -> Vec<&'static str> {
        [
            ("agent_stats", self.agent_stats),
            ("response_time_per_agent", self.response_time_per_agent),
            ("agent_presence", self.agent_presence),
            ("seen_by_agent", self.seen_by_agent),
            ("customer_rating_per_agent", self.customer_rating_per_agent),
            ("sla_per_agent", self.sla_per_agent),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| n)
        .collect()
    }

    /// Config check (R-D1, R-C15, R-D2): `(key, message)` of the first problem.
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.min_group_size < 3 {
            return Err((
                "monitoring.min_group_size".into(),
                format!(
                    "{} is too small: never below 3 (BAG 1 ABR 6/94)",
                    self.min_group_size
                ),
            ));
        }
        let on = self.enabled();
        let Some(first) = on.first() else {
            return Ok(());
        };
        if self.works_agreement_ref.trim().is_empty() && !self.no_works_council_attestation {
            return Err((
                format!("monitoring.{first}"),
                "monitors staff behaviour or performance (§ 87(1) Nr. 6 BetrVG): needs works_agreement_ref, or no_works_council_attestation = true".into(),
            ));
        }
        if self.dpia_ref.trim().is_empty() {
            return Err((
                format!("monitoring.{first}"),
                "needs dpia_ref: a data-protection impact assessment (Art. 35 GDPR)".into(),
            ));
        }
        Ok(())
    }

    /// Team figures are shown only for groups of at least `min_group_size` (R-D2).
    pub fn group_large_enough(&self, staff: usize) -> bool {
        staff >= self.min_group_size.max(3)
    }
}

/// What tresen stores about one employee (R-D5), as lines for the screen and
/// `tresen staff what-is-stored`. Generated from the same configuration the gates read.
pub fn what_is_stored(
    name: &str,
    staff: &[StaffConfig],
    monitoring: &MonitoringConfig,
    de: bool,
) -> Vec<String> {
    let role = staff
        .iter()
        .find(|s| s.name == name)
        .map_or("staff", |s| s.role.as_str());
    let mut out = Vec::new();
    let mut line = |de_text: String, en_text: String| out.push(if de { de_text } else { en_text });
    line(
        format!("Was tresen über {name} speichert"),
        format!("What tresen stores about {name}"),
    );
    line(
        format!(
            "- Name und Rolle ({role}) in der Konfiguration; sichtbar für alle, die sie lesen dürfen."
        ),
        format!("- Name and role ({role}) in the configuration; visible to whoever may read it."),
    );
    // Who sees the sender: the same roles the daemon's checks use (`sees_senders`).
    let readers: Vec<&str> = staff
        .iter()
        .filter(|s| {
            Role::parse(&s.role).is_some_and(|role| {
                Identity {
                    name: s.name.clone(),
                    role,
                    scope: None,
                }
                .sees_senders()
            })
        })
        .map(|s| s.name.as_str())
        .collect();
    let (readers_de, readers_en) = if staff.is_empty() {
        (
            "wer den Dienst betreibt (ohne [[staff]] die einzige Rolle: Inhaber)".to_string(),
            "whoever runs the daemon (without [[staff]] the only role: owner)".to_string(),
        )
    } else if readers.is_empty() {
        (
            "niemand mit Rolle owner oder auditor".into(),
            "nobody with the role owner or auditor".into(),
        )
    } else {
        (readers.join(", "), readers.join(", "))
    };
    line(
        format!(
            "- Ihr Name an jeder Nachricht, die Sie an Kunden senden, im Archiv (GoBD: wer hat für die Firma erklärt), aufbewahrt wie die Nachricht (6, 8 oder 10 Jahre). Sehen dürfen ihn Inhaber und Prüfer: {readers_de}; andere Beschäftigte sehen „Team“. Exporte mit Namen, `show --staff-names` und `archive get` werden im Archiv vermerkt, das Lesen im Posteingang nicht."
        ),
        format!(
            "- Your name on every message you send to customers, in the archive (GoBD: who made a statement for the firm), kept as long as the message (6, 8 or 10 years). Owners and auditors may see it: {readers_en}; other staff see \"Team\". Exports with names, `show --staff-names` and `archive get` are recorded in the archive, reading in the inbox is not."
        ),
    );
    line(
        "- Ihr Name an Änderungen der Aufbewahrungs-Kennzeichnung (auch einzelner Nachrichten und Dateien), Schritten bei Angeboten und Aufträgen, Einschränkungen von Nachrichten (Art. 9 DSGVO, Daten Dritter), Berichtigungen von Kundennamen, von Ihnen eingetragenen Einwilligungen und Widerrufen, geplanten Nachrichten, Sperren, Löschungen, Exporten und Auskünften (wer hat Daten herausgegeben), am Lesen von Namen und Archiveinträgen, an von Ihnen ausgeführten Wiederherstellungstests und Selbstprüfungen (`compliance check`) und an Ihrer Annahme der Nutzungsrichtlinie (Fassung und Zeit) – im Archiv, mit dem Eintrag, zu dem er gehört.".into(),
        "- Your name on changes of retention labels (of single messages and files too), steps of offers and orders, restrictions of messages (Art. 9 GDPR, third parties' data), corrections of customer names, consents and withdrawals you record, scheduled messages, holds, destructions, exports and access answers (who handed data out), on reading names and archive records, restore drills and self-checks (`compliance check`) you run, and your acceptance of the usage policy (version and time) – in the archive, with the record it belongs to.".into(),
    );
    line(
        "- Ihr Name an internen Notizen (auch der einer Namensberichtigung): nur im Postfach, für alle dort sichtbar, nicht im Archiv.".into(),
        "- Your name on internal notes (also a name correction's): in the inbox only, visible to everyone there, not archived.".into(),
    );
    line(
        "- Zuweisung von Gesprächen: nur der aktuelle Stand, keine Historie, keine Zeiten.".into(),
        "- Conversation assignment: the current state only, no history, no times.".into(),
    );
    line(
        "- Entwürfe: nur lokal im Postfach dieses Rechners, nicht im Archiv, für niemanden sonst sichtbar.".into(),
        "- Drafts: only in this computer's inbox, not archived, visible to no one else.".into(),
    );
    line(
        "- Nicht gespeichert: Anwesenheit, \"gesehen von\", Antwortzeiten, Zählungen pro Person, Bewertungen, Tippen oder Bildschirm.".into(),
        "- Not stored: presence, \"seen by\", response times, per-person counts, ratings, typing or screen.".into(),
    );
    let on = monitoring.enabled();
    if on.is_empty() {
        line(
            "- Auswertungen über Beschäftigte: alle aus (Voreinstellung).".into(),
            "- Staff monitoring features: all off (default).".into(),
        );
    } else {
        let agreement = if monitoring.works_agreement_ref.trim().is_empty() {
            "no_works_council_attestation".to_string()
        } else {
            monitoring.works_agreement_ref.clone()
        };
        line(
            format!(
                "- Eingeschaltet: {} (Grundlage: {agreement}; DSFA: {}; nur Gruppen ab {} Personen).",
                on.join(", "),
                monitoring.dpia_ref,
                monitoring.min_group_size
            ),
            format!(
                "- Switched on: {} (basis: {agreement}; DPIA: {}; groups of {} or more only).",
                on.join(", "),
                monitoring.dpia_ref,
                monitoring.min_group_size
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R-D3: who sent an outgoing message is for the owner and an auditor; a staff
    /// member sees their own name, tresen's automatic sender and "Team" otherwise, and
    /// notes keep their author.
    #[test]
    fn r_d3_staff_see_team_for_colleagues_messages() {
        use crate::domain::{
            ConversationId, Delivery, Direction, Message, MessageId, MessageKind, Timestamp,
        };
        let m = |kind, direction, sender: &str| Message {
            id: MessageId(1),
            conversation: ConversationId(1),
            remote_id: None,
            kind,
            direction,
            sender: sender.into(),
            body: String::new(),
            attachments: vec![],
            sent_at: Timestamp(0),
            received_at: Timestamp(0),
            delivery: Delivery::Read,
            edit: None,
            deleted_at: None,
            reactions: vec![],
            elsewhere: false,
            sensitive: None,
            quote: None,
            failure: None,
        };
        let list = || {
            vec![
                m(MessageKind::Chat, Direction::Outbound, "Lea Sommer"),
                m(MessageKind::Chat, Direction::Outbound, "Karl Keller"),
                m(
                    MessageKind::Chat,
                    Direction::Outbound,
                    crate::domain::AUTOMATIC,
                ),
                m(MessageKind::Note, Direction::Outbound, "Lea Sommer"),
                m(MessageKind::Chat, Direction::Inbound, "Erika Kundin"),
            ]
        };
        let senders = |role| {
            let mut l = list();
            Identity {
                name: "Karl Keller".into(),
                role,
                scope: None,
            }
            .attribute(&mut l);
            l.into_iter().map(|m| m.sender).collect::<Vec<_>>()
        };
        assert_eq!(
            senders(Role::Staff),
            [
                "Team",
                "Karl Keller",
                crate::domain::AUTOMATIC,
                "Lea Sommer",
                "Erika Kundin"
            ]
        );
        for role in [Role::Owner, Role::Auditor] {
            assert_eq!(senders(role)[0], "Lea Sommer");
        }
    }

    #[test]
    fn r_d1_monitoring_needs_agreement_and_dpia() {
        assert!(MonitoringConfig::default().check().is_ok());
        let mut m = MonitoringConfig {
            agent_stats: true,
            ..Default::default()
        };
        assert_eq!(m.check().unwrap_err().0, "monitoring.agent_stats");
        m.works_agreement_ref = "BV Messenger 2026-03-01".into();
        assert!(m.check().unwrap_err().1.contains("dpia_ref"));
        m.dpia_ref = "DSFA-7".into();
        assert!(m.check().is_ok());
    }

    #[test]
    fn r_d2_groups_below_the_floor_get_no_figures() {
        let m = MonitoringConfig::default();
        assert!(!m.group_large_enough(3));
        assert!(m.group_large_enough(5));
        let low = MonitoringConfig {
            min_group_size: 2,
            ..Default::default()
        };
        assert!(low.check().is_err());
    }

    #[test]
    fn r_d5_screen_follows_the_config() {
        let staff = vec![StaffConfig {
            name: "Anna Schmidt".into(),
            login: "anna".into(),
            role: "owner".into(),
            audit_from: String::new(),
            audit_to: String::new(),
            audit_classes: vec![],
        }];
        let off = what_is_stored("Anna Schmidt", &staff, &MonitoringConfig::default(), true);
        assert!(off.iter().any(|l| l.contains("(owner)")));
        assert!(off.iter().any(|l| l.contains("alle aus")));
        let on = MonitoringConfig {
            agent_stats: true,
            works_agreement_ref: "BV 7".into(),
            dpia_ref: "D1".into(),
            ..Default::default()
        };
        let lines = what_is_stored("Anna Schmidt", &staff, &on, false);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("agent_stats") && l.contains("BV 7"))
        );
    }
}
