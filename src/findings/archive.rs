//! What the archive says for `compliance check` (R-F2): how old its own checks are
//! (R-B3, R-B4, R-B12) — the newest verification, anchor and restore drill, each against
//! its limit — and what its records count: messages sent past tresen from the business
//! phone or app, replies before consent, parts past their retention period.

use std::collections::{BTreeMap, BTreeSet};

use super::{Finding, Level, finding};
use crate::archive::integrity::{Check, IntegrityRecord};
use crate::config::ArchiveConfig;
use crate::domain::Timestamp;

/// What the archive holds about its checks — since when it holds anything, the newest
/// record of each check — and what its records count.
pub struct ArchiveFacts {
    /// When its first record was written (`None`: nothing archived yet).
    pub since: Option<Timestamp>,
    pub newest: BTreeMap<Check, IntegrityRecord>,
    pub counts: Counts,
    /// Why the records could not be counted (a damaged archive: the counts are then
    /// not known, and that is a finding of its own).
    pub unreadable: Option<String>,
}

/// What one pass over every record counts.
#[derive(Debug, Default)]
pub struct Counts {
    /// Messages the office sent from the business phone or the messenger app itself,
    /// not through tresen (no footer from tresen, no consent gate), and the
    /// conversations they are in.
    pub sent_elsewhere: usize,
    pub sent_elsewhere_in: BTreeSet<String>,
    /// Of those, the ones without the footer the policy required then (R-F2).
    pub footer_missing: usize,
    pub footer_missing_in: BTreeSet<String>,
    /// Replies tresen sent to customers who wrote first but had not consented (allowed,
    /// R-C3, and flagged).
    pub before_consent: usize,
    /// Conversation-years past their retention period, not yet destroyed.
    pub expired: usize,
    /// Files that look like invoices, kept as Buchungsbelege until staff confirm or
    /// correct it (R-E3).
    pub invoices_unconfirmed: usize,
    /// Consumers' orders without the Widerrufsbelehrung or the urgent-repair exception
    /// on record (R-E1), and work begun inside a withdrawal period without the
    /// customer's express request (R-E2). Counts only: the report is kept for good and
    /// names no customer.
    pub uninformed_orders: usize,
    pub early_start_missing: usize,
    /// Messages marked as special-category data (Art. 9 GDPR) now (R-E4, R-C15).
    pub special_categories: usize,
    /// Data-subject requests not answered yet, soonest due first.
    pub open_requests: Vec<crate::lifecycle::requests::Request>,
}

impl ArchiveFacts {
    /// Read from the profile's archive; `store` gives the conversations' labels (they
    /// decide retention with the archive's `classify` records), `config` the retention
    /// and footer rules.
    pub fn read(
        data_dir: &std::path::Path,
        key: &crate::secrets::MasterKey,
        store: &dyn crate::store::StoreRead,
        config: &crate::config::Config,
    ) -> Result<ArchiveFacts, crate::lifecycle::LifecycleError> {
        let dir = crate::archive::Archive::dir_of(data_dir);
        let since = crate::archive::integrity::first_written(&dir)?;
        let newest = crate::archive::integrity::newest(&dir, key)?;
        let mut counts = Counts::default();
        let mut unreadable = None;
        if since.is_some()
            && let Err(e) = count(&dir, key, store, config, &mut counts)
        {
            unreadable = Some(e.to_string());
        }
        Ok(ArchiveFacts {
            since,
            newest,
            counts,
            unreadable,
        })
    }
}

/// One pass over every record, then the retention plan.
fn count(
    dir: &std::path::Path,
    key: &crate::secrets::MasterKey,
    store: &dyn crate::store::StoreRead,
    config: &crate::config::Config,
    counts: &mut Counts,
) -> Result<(), crate::lifecycle::LifecycleError> {
    let retention = &config.retention;
    // Accounts whose sends need the footer; a configuration that does not check out is
    // a finding of its own and counts no missing footer.
    let enforced = config.compliance().map(|c| c.enforced).unwrap_or_default();
    let mut footers = super::footers::FooterWatch::new(&config.footer, &enforced);
    use crate::archive::{Payload, read};
    use crate::domain::{Direction, MessageKind};
    let mut keys = crate::archive::keys::Keys::load(dir, key, true)?;
    let mut requests = crate::lifecycle::requests::Ledger::default();
    let mut orders = crate::lifecycle::orders::Ledger::default();
    let mut marks = BTreeMap::new();
    read::for_each(dir, &mut keys, 1, |r| {
        if let Some(p) = &r.payload {
            requests.feed(p);
            orders.feed(p);
            footers.feed(p);
        }
        match &r.payload {
            Some(Payload::Sensitive(s)) => {
                marks.insert(
                    (s.account.clone(), s.conversation.clone(), s.message.clone()),
                    s.mark,
                );
            }
            Some(Payload::PeerRenamed {
                account, from, to, ..
            }) => crate::lifecycle::follow_rename(&mut marks, (account, from, to), |k| {
                (&k.0, &mut k.1)
            }),
            _ => {}
        }
        match r.payload {
            Some(Payload::Message(m))
                if m.direction == Direction::Outbound && m.kind == MessageKind::Chat =>
            {
                counts.sent_elsewhere += 1;
                counts
                    .sent_elsewhere_in
                    .insert(format!("{}/{}", m.account, m.conversation_remote_id));
            }
            Some(Payload::Outgoing {
                consent_pending: true,
                ..
            }) => counts.before_consent += 1,
            _ => {}
        }
        Ok(())
    })?;
    counts.footer_missing = footers.missing;
    counts.footer_missing_in = footers.missing_in;
    counts.open_requests = requests.open();
    counts.special_categories = marks
        .values()
        .filter(|m| **m == Some(crate::domain::Sensitive::Art9))
        .count();
    for v in orders.views(|_, c| c.to_string()) {
        if matches!(
            v.withdrawal,
            crate::lifecycle::orders::WithdrawalView::EndsUninformed { .. }
        ) {
            counts.uninformed_orders += 1;
        }
        counts.early_start_missing += usize::from(v.early_start_missing);
    }
    let labels = crate::lifecycle::store_labels(store)?;
    let facts = crate::lifecycle::gather(dir, &mut keys, &labels)?;
    let tags = retention.tag_pairs();
    let plan = crate::lifecycle::RetentionPlan::of(
        &facts,
        &crate::lifecycle::policy(retention, &tags),
        crate::lifecycle::today(),
    );
    counts.expired = plan.expiring().len();
    counts.invoices_unconfirmed = facts.unconfirmed.len();
    Ok(())
}

/// Open data-subject requests with their due dates: overdue ones are required work.
fn requests(open: &[crate::lifecycle::requests::Request], today: chrono::NaiveDate) -> Finding {
    let list = |rs: &[&crate::lifecycle::requests::Request], due: &str| {
        rs.iter()
            .map(|r| format!("{} {} {due} {}", r.id, r.kind.as_str(), r.due))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let overdue: Vec<_> = open.iter().filter(|r| r.due < today).collect();
    if !overdue.is_empty() {
        return finding(
            "dsar_deadlines",
            Level::Required,
            format!(
                "{} data-subject request(s) past their one-month deadline: {}; answer them and `tresen dsar close ID`",
                overdue.len(),
                list(&overdue, "due")
            ),
            format!(
                "{} Betroffenenanfrage(n) über ihrer Monatsfrist: {}; beantworten und `tresen dsar close ID`",
                overdue.len(),
                list(&overdue, "fällig")
            ),
        );
    }
    if open.is_empty() {
        return finding(
            "dsar_deadlines",
            Level::Ok,
            "0 open data-subject requests",
            "0 offene Betroffenenanfragen",
        );
    }
    let all = open.iter().collect::<Vec<_>>();
    finding(
        "dsar_deadlines",
        Level::Warning,
        format!(
            "{} open data-subject request(s): {}",
            open.len(),
            list(&all, "due")
        ),
        format!(
            "{} offene Betroffenenanfrage(n): {}",
            open.len(),
            list(&all, "fällig")
        ),
    )
}

/// R-F2's counts of what the records show.
pub(super) fn count_findings(facts: &ArchiveFacts) -> Vec<Finding> {
    if let Some(why) = &facts.unreadable {
        return vec![finding(
            "archive_records",
            Level::Required,
            format!(
                "the archive's records could not be counted: {why} (run `tresen archive verify`)"
            ),
            format!(
                "die Einträge des Archivs ließen sich nicht zählen: {why} (`tresen archive verify` ausführen)"
            ),
        )];
    }
    let c = &facts.counts;
    let mut out = Vec::new();
    out.push(requests(&c.open_requests, crate::lifecycle::today()));
    out.push(if c.sent_elsewhere > 0 {
        finding(
            "sent_elsewhere",
            Level::Warning,
            format!(
                "{} message(s) in {} conversation(s) were sent from the business phone or the messenger app itself, not through tresen: tresen added no footer and checked no consent for them",
                c.sent_elsewhere,
                c.sent_elsewhere_in.len()
            ),
            format!(
                "{} Nachricht(en) in {} Unterhaltung(en) wurden vom Geschäftstelefon oder aus der Messenger-App selbst gesendet, nicht über tresen: tresen hat ihnen keine Fußzeile angefügt und keine Einwilligung geprüft",
                c.sent_elsewhere,
                c.sent_elsewhere_in.len()
            ),
        )
    } else {
        finding(
            "sent_elsewhere",
            Level::Ok,
            "0 messages sent past tresen",
            "0 Nachrichten an tresen vorbei gesendet",
        )
    });
    out.push(if c.footer_missing > 0 {
        finding(
            "footer_missing",
            Level::Warning,
            format!(
                "{} message(s) sent past tresen, in {} conversation(s), lacked the Pflichtangaben footer the [footer] policy required then (R-A4): send the footer there by hand or through tresen (`tresen footer preview` prints it)",
                c.footer_missing,
                c.footer_missing_in.len()
            ),
            format!(
                "{} an tresen vorbei gesendete Nachricht(en) in {} Unterhaltung(en) hatten nicht die Fußzeile mit den Pflichtangaben, die die Regel unter [footer] damals verlangte (R-A4): die Fußzeile dort von Hand oder über tresen nachsenden (`tresen footer preview` zeigt sie)",
                c.footer_missing,
                c.footer_missing_in.len()
            ),
        )
    } else {
        finding(
            "footer_missing",
            Level::Ok,
            "0 messages without a footer the policy required",
            "0 Nachrichten ohne die verlangte Fußzeile",
        )
    });
    out.push(finding(
        "before_consent",
        if c.before_consent > 0 { Level::Warning } else { Level::Ok },
        format!(
            "{} reply(ies) to customers who wrote first and had not consented yet (allowed as answers to their request, R-C3)",
            c.before_consent
        ),
        format!(
            "{} Antwort(en) an Kundschaft, die zuerst geschrieben und noch nicht eingewilligt hatte (als Antwort auf ihre Anfrage erlaubt, R-C3)",
            c.before_consent
        ),
    ));
    out.push(if c.expired > 0 {
        finding(
            "expired",
            Level::Warning,
            format!(
                "{} conversation-year(s) past their retention period, not destroyed yet: see `tresen retention plan`",
                c.expired
            ),
            format!(
                "{} Unterhaltungsjahr(e) über ihrer Aufbewahrungsfrist, noch nicht vernichtet: siehe `tresen retention plan`",
                c.expired
            ),
        )
    } else {
        finding(
            "expired",
            Level::Ok,
            "0 parts past their retention period",
            "0 Teile über ihrer Aufbewahrungsfrist",
        )
    });
    let widerruf = c.uninformed_orders + c.early_start_missing;
    out.push(finding(
        "widerruf",
        if widerruf > 0 { Level::Warning } else { Level::Ok },
        format!(
            "{} consumer order(s) labelled auftrag_verbraucher without the Widerrufsbelehrung or the urgent-repair exception on record; {} begun inside the withdrawal period without the customer's express request (see `tresen order list`)",
            c.uninformed_orders,
            c.early_start_missing,
        ),
        format!(
            "{} Verbraucheraufträge mit Label auftrag_verbraucher ohne verzeichnete Widerrufsbelehrung oder Ausnahme für dringende Reparaturen; {} innerhalb der Widerrufsfrist begonnen ohne ausdrückliches Verlangen der Kundschaft (siehe `tresen order list`)",
            c.uninformed_orders,
            c.early_start_missing,
        ),
    ));
    out.push(finding(
        "special_categories",
        if c.special_categories > 0 {
            Level::Warning
        } else {
            Level::Ok
        },
        format!(
            "{} message(s) marked as special-category data (Art. 9 GDPR): where the firm processes such data regularly, a data-protection impact assessment (Art. 35) and its entry in the VVT are the firm's to make; tresen records no DPIA reference for it",
            c.special_categories
        ),
        format!(
            "{} Nachricht(en) als besondere Kategorie personenbezogener Daten markiert (Art. 9 DSGVO): verarbeitet die Firma solche Daten regelmäßig, sind eine Datenschutz-Folgenabschätzung (Art. 35) und ihr Eintrag im VVT Sache der Firma; tresen verzeichnet dafür keinen DSFA-Verweis",
            c.special_categories
        ),
    ));
    out.push(finding(
        "invoices_unconfirmed",
        if c.invoices_unconfirmed > 0 {
            Level::Warning
        } else {
            Level::Ok
        },
        format!(
            "{} file(s) that look like invoices are kept as buchungsbeleg (8 years) until someone confirms or corrects that: see `tresen retention plan`",
            c.invoices_unconfirmed
        ),
        format!(
            "{} Datei(en), die nach Rechnungen aussehen, werden als buchungsbeleg (8 Jahre) aufbewahrt, bis jemand das bestätigt oder berichtigt: siehe `tresen retention plan`",
            c.invoices_unconfirmed
        ),
    ));
    out
}

pub(super) fn findings(
    config: &ArchiveConfig,
    state: &ArchiveFacts,
    now: Timestamp,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(since) = state.since else {
        out.push(finding(
            "archive_checks",
            Level::Ok,
            "nothing archived yet",
            "noch nichts archiviert",
        ));
        return out;
    };
    for check in Check::ALL {
        if check == Check::Timestamp && config.tsa_url.is_empty() {
            continue;
        }
        let id = match check {
            Check::Verify => "archive_verify",
            Check::Anchor => "archive_anchor",
            Check::RestoreTest => "restore_test",
            Check::Timestamp => "archive_timestamp",
        };
        let max = config.max_age_days(check);
        let (how, how_de) = match check {
            Check::Verify => (
                "the daemon verifies the archive daily: keep `tresen daemon` running",
                "der Dienst prüft das Archiv täglich: `tresen daemon` laufen lassen",
            ),
            Check::Anchor if config.anchor_dir.is_empty() => (
                "no [archive] anchor_dir: set one off this machine's disk and the daemon anchors there daily",
                "kein [archive] anchor_dir: eines außerhalb der Platte dieses Rechners setzen, dann verankert der Dienst dort täglich",
            ),
            Check::Anchor => (
                "the daemon anchors after each daily verification: keep `tresen daemon` running",
                "der Dienst verankert nach jeder täglichen Prüfung: `tresen daemon` laufen lassen",
            ),
            Check::RestoreTest => (
                "copy a backup back and run `tresen archive restore-test DIR` on it (docs/archive.md)",
                "eine Sicherung zurückkopieren und `tresen archive restore-test VERZEICHNIS` darauf ausführen (docs/archive.md)",
            ),
            Check::Timestamp => (
                "the daemon asks the timestamp authority after each anchor: keep `tresen daemon` running and archive.tsa_url reachable",
                "der Dienst fragt nach jedem Anker den Zeitstempeldienst: `tresen daemon` laufen lassen und archive.tsa_url erreichbar halten",
            ),
        };
        let name = check.as_str().replace('_', " ");
        let name_de = match check {
            Check::Verify => "Prüfung",
            Check::Anchor => "Verankerung",
            Check::RestoreTest => "Wiederherstellungsprobe",
            Check::Timestamp => "Zeitstempelung",
        };
        // A check is overdue once the archive is older than the check's limit.
        let due = Timestamp(since.0 + i64::from(max) * Timestamp::DAY);
        out.push(match state.newest.get(&check) {
            None if now < due => finding(
                id,
                Level::Warning,
                format!("no {name} on record yet; due by {}; {how}", due.rfc3339()),
                format!(
                    "noch keine {name_de} verzeichnet; fällig bis {}; {how_de}",
                    due.to_local().format("%d.%m.%Y %H:%M")
                ),
            ),
            None => finding(
                id,
                Level::Required,
                format!("no {name} on record; {how}"),
                format!("keine {name_de} verzeichnet; {how_de}"),
            ),
            Some(r) => {
                let days = (now.0 - r.at.0).max(0) / Timestamp::DAY;
                let when = format!("{} ({days} day(s) ago)", r.at.rfc3339());
                let ago_de = match days {
                    0 => "heute".to_string(),
                    1 => "vor 1 Tag".to_string(),
                    n => format!("vor {n} Tagen"),
                };
                let when_de = format!("{} ({ago_de})", r.at.to_local().format("%d.%m.%Y %H:%M"));
                if !r.ok {
                    finding(
                        id,
                        Level::Required,
                        format!("the last {name} failed on {when}: {}", r.detail),
                        format!(
                            "die letzte {name_de} schlug fehl am {when_de}: {}",
                            r.detail_de()
                        ),
                    )
                } else if days >= i64::from(max) {
                    finding(
                        id,
                        Level::Required,
                        format!("the last {name} is from {when}, more than {max} day(s); {how}"),
                        format!(
                            "die letzte {name_de} ist vom {when_de}, älter als {max} Tage; {how_de}"
                        ),
                    )
                } else {
                    finding(
                        id,
                        Level::Ok,
                        format!("{when}, record {}: {}", r.seq, r.detail),
                        format!("{when_de}, Eintrag {}: {}", r.seq, r.detail_de()),
                    )
                }
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(check: Check, ok: bool, at: Timestamp) -> IntegrityRecord {
        IntegrityRecord {
            check,
            ok,
            seq: 7,
            hash: String::new(),
            detail: "7 records".into(),
            by: "tresen".into(),
            at,
            token: String::new(),
        }
    }

    fn level(out: &[Finding], id: &str) -> Level {
        out.iter().find(|f| f.id == id).map(|f| f.level).unwrap()
    }

    #[test]
    fn r_f2_a_check_is_overdue_once_older_than_its_limit_and_a_new_archive_gets_time() {
        let config = ArchiveConfig {
            anchor_dir: "/mnt/anker".into(),
            ..Default::default()
        };
        let day = Timestamp::DAY;
        let since = Timestamp(1_790_000_000_000);
        // A day-old archive without checks: warnings with the date they are due.
        let fresh = ArchiveFacts {
            since: Some(since),
            newest: BTreeMap::new(),
            counts: Counts::default(),
            unreadable: None,
        };
        let out = findings(&config, &fresh, Timestamp(since.0 + day));
        assert_eq!(level(&out, "archive_verify"), Level::Warning);
        assert_eq!(level(&out, "restore_test"), Level::Warning);
        // Three days on, verification and anchor are overdue; the drill is not yet.
        let out = findings(&config, &fresh, Timestamp(since.0 + 3 * day));
        assert_eq!(level(&out, "archive_verify"), Level::Required);
        assert_eq!(level(&out, "archive_anchor"), Level::Required);
        assert_eq!(level(&out, "restore_test"), Level::Warning);
        // Checks on record: fine while recent, overdue when old, failed is failed.
        let now = Timestamp(since.0 + 200 * day);
        let state = ArchiveFacts {
            since: Some(since),
            counts: Counts::default(),
            unreadable: None,
            newest: BTreeMap::from([
                (
                    Check::Verify,
                    record(Check::Verify, true, Timestamp(now.0 - day / 2)),
                ),
                (
                    Check::Anchor,
                    record(Check::Anchor, true, Timestamp(now.0 - 5 * day)),
                ),
                (
                    Check::RestoreTest,
                    record(Check::RestoreTest, false, Timestamp(now.0 - day)),
                ),
            ]),
        };
        let out = findings(&config, &state, now);
        assert_eq!(level(&out, "archive_verify"), Level::Ok);
        assert_eq!(level(&out, "archive_anchor"), Level::Required);
        let anchor = out.iter().find(|f| f.id == "archive_anchor").unwrap();
        assert!(
            anchor.message.contains("5 day(s) ago"),
            "{}",
            anchor.message
        );
        assert!(
            anchor.message.contains("more than 2 day(s)"),
            "{}",
            anchor.message
        );
        assert_eq!(level(&out, "restore_test"), Level::Required);
        // Issue 19: each finding also in German, with its figures.
        for f in out.iter().chain(&count_findings(&state)) {
            assert!(!f.message_de.is_empty(), "{} has no German", f.id);
        }
        let anchor = out.iter().find(|f| f.id == "archive_anchor").unwrap();
        assert!(
            anchor.message_de.contains("vor 5 Tagen"),
            "{}",
            anchor.message_de
        );
        // The archived count ("7 records") reads German too.
        let verified = out.iter().find(|f| f.id == "archive_verify").unwrap();
        assert!(
            verified.message_de.ends_with("Eintrag 7: 7 Einträge"),
            "{}",
            verified.message_de
        );
    }
}
