//! A customer's GDPR requests (Art. 15, 17, 20): finding everything about them in the
//! archive, the export with the Art. 15 information, and the erasure — erased where no
//! retention duty or hold covers it, restricted (Art. 18) where one does.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{Books, Facts, Files, LifecycleError, collect_all};
use crate::archive::export::{self, Collection, Row};
use crate::archive::retention::{self, Item, Policy};
use crate::archive::{Archive, Payload};
use crate::compliance::consent::{Action, ConsentRecord, Method, Purpose};
use crate::compliance::{Compliance, LedgerEntry};
use crate::config::RetentionConfig;
use crate::domain::{ConversationKind, Timestamp, safe_file_name};
use crate::store::StoreRead;

/// The person a request is about and their conversations in the archive.
pub struct Subject {
    /// What the office typed: a number, handle or conversation id.
    pub contact: String,
    all: Collection,
    /// (account, conversation remote id)
    pub conversations: BTreeSet<(String, String)>,
}

/// What an export holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Exported {
    pub messages: usize,
    pub files: usize,
    /// Art. 12(3) GDPR: one month from the request.
    pub due: NaiveDate,
    /// Group chats are in it: other people's messages must be checked before it is
    /// handed over (Art. 15(4) GDPR).
    pub groups: bool,
}

/// What an erasure request does to each part of the archive about the subject.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Erasure {
    /// No retention duty or hold: destroyed.
    pub erase: Vec<Item>,
    /// Kept for a statutory period (Art. 17(3)(b)) or a hold (17(3)(e)): restricted.
    pub restrict: Vec<Item>,
}

impl Erasure {
    /// Whether it erases and restricts exactly the parts (bucket ids) shown.
    pub fn is(&self, erase: &[String], restrict: &[String]) -> bool {
        let ids = |items: &[Item]| {
            items
                .iter()
                .map(|i| i.bucket.clone())
                .collect::<BTreeSet<_>>()
        };
        ids(&self.erase) == erase.iter().cloned().collect()
            && ids(&self.restrict) == restrict.iter().cloned().collect()
    }
}

/// What an Art. 17 request about `contact` does today, read where the books are.
pub fn erasure_plan(
    books: &mut Books<'_>,
    config: &RetentionConfig,
    contact: &str,
) -> Result<(Subject, Erasure), LifecycleError> {
    let subject = Subject::find(books.archive, &*books.store, contact)?;
    let labels = super::store_labels(&*books.store)?;
    let dir = books.archive.dir().to_path_buf();
    let facts = super::gather(&dir, books.archive.keys(), &labels)?;
    let tags = config.tag_pairs();
    let erasure = subject.erasure(&facts, &super::policy(config, &tags), super::today());
    Ok((subject, erasure))
}

impl Subject {
    /// Finds the conversations about `contact` in the whole archive, by what the
    /// office typed and what the inbox resolves it to (a conversation id from
    /// `tresen list`, a number shown beside a network id). Refused if there are none.
    pub fn find(
        archive: &mut Archive,
        store: &dyn StoreRead,
        contact: &str,
    ) -> Result<Subject, LifecycleError> {
        let dir = archive.dir().to_path_buf();
        let all = collect_all(&dir, archive.keys())?;
        let mut keys = vec![contact.to_string()];
        if let Some(c) = store.find_conversation(contact)? {
            keys.push(c.remote_id.clone());
            if let Some(ct) = &c.contact {
                keys.push(ct.identity.clone());
                keys.extend(ct.phone.clone());
            }
        }
        let conversations = contact_matches(&all, &keys);
        if conversations.is_empty() {
            return Err(LifecycleError::Refused(format!(
                "the archive holds nothing about `{contact}` (give the number, handle or conversation id)"
            )));
        }
        Ok(Subject {
            contact: contact.to_string(),
            all,
            conversations,
        })
    }

    fn covers(&self, account: &str, conversation: &str) -> bool {
        self.conversations
            .contains(&(account.to_string(), conversation.to_string()))
    }

    /// Art. 15 / 20: `verlauf.html` (readable), `daten.json` (machine-readable),
    /// `auskunft.txt` (the Art. 15 information) and the files under `dateien/`; the
    /// access is recorded in the archive, `by` whom, as the data leaves it.
    pub fn export(
        &self,
        archive: &mut Archive,
        store: &dyn StoreRead,
        retention: &RetentionConfig,
        recipients: &str,
        by: &str,
    ) -> Result<(Exported, Files), LifecycleError> {
        let mut out = Files::default();
        let all = &self.all;
        let rows: Vec<&Row> = all
            .rows
            .iter()
            .filter(|r| self.covers(&r.account, &r.conversation))
            .collect();
        let mut html = String::new();
        let mut groups = false;
        for (account, remote) in &self.conversations {
            groups |= all
                .conversations
                .get(&(account.clone(), remote.clone()))
                .is_some_and(|c| c.kind == ConversationKind::Group);
            let mine: Vec<&Row> = rows
                .iter()
                .copied()
                .filter(|r| &r.account == account && &r.conversation == remote)
                .collect();
            html.push_str(&export::transcript_html(&all.title(account, remote), &mine));
        }
        out.add("verlauf.html".into(), html.into_bytes());
        let mut files = Vec::new();
        for f in all
            .files
            .iter()
            .filter(|f| self.covers(&f.account, &f.conversation))
        {
            let name = format!(
                "{}-{}",
                &f.sha256[..16.min(f.sha256.len())],
                safe_file_name(&f.name)
            );
            out.add(format!("dateien/{name}"), f.bytes.clone());
            files.push(serde_json::json!({
                "name": f.name, "mime": f.mime, "size": f.size, "sha256": f.sha256,
                "message": f.message, "file": format!("dateien/{name}"),
            }));
        }
        let labels = super::store_labels(store)?;
        let tags = retention.tag_pairs();
        let periods: Vec<Period> = self
            .conversations
            .iter()
            .map(|(a, c)| {
                let l = labels
                    .get(&(a.clone(), c.clone()))
                    .cloned()
                    .unwrap_or_default();
                let class = retention::class_for(&l, &tags, &retention.default_class);
                Period {
                    conversation: c.clone(),
                    class: class.to_string(),
                    years: retention::rule_for(class, super::today())
                        .map_or(retention.no_statutory_years, |r| r.years),
                    account: a.clone(),
                }
            })
            .collect();
        // The consent records about these conversations' contacts (R-C10).
        let addresses: BTreeSet<String> = self.contacts().into_iter().map(|c| c.address).collect();
        let ledger = store.ledger_all()?;
        let consents: Vec<&ConsentRecord> = ledger
            .iter()
            .filter_map(|e| match e {
                LedgerEntry::Consent(r) if addresses.contains(&r.address) => Some(r),
                _ => None,
            })
            .collect();
        let due = (chrono::Local::now() + chrono::Months::new(1)).date_naive();
        let json = serde_json::json!({
            "format": "tresen-dsar/1",
            "subject": self.contact,
            "created_at": Timestamp::now().rfc3339(),
            "conversations": self.conversations.iter()
                .map(|k| all.conversations.get(k).cloned())
                .collect::<Vec<_>>(),
            "messages": rows,
            "files": files,
            "consents": consents,
            // Art. 16: the names the office corrected, with the earlier ones (R-C12).
            "name_corrections": all.corrections.iter()
                .filter(|c| self.covers(&c.account, &c.conversation))
                .collect::<Vec<_>>(),
            "retention": periods.iter().map(|p| serde_json::json!({
                "account": p.account, "conversation": p.conversation,
                "class": p.class, "years_after_end_of_year": p.years,
            })).collect::<Vec<_>>(),
            "third_parties_review_needed": groups,
        });
        let text = serde_json::to_string_pretty(&json).map_err(|e| LifecycleError::Write {
            path: "daten.json".into(),
            source: std::io::Error::other(e),
        })?;
        out.add("daten.json".into(), text.into_bytes());
        let info = art15_text(
            &self.contact,
            (rows.len(), files.len()),
            groups,
            &periods,
            recipients,
        );
        out.add("auskunft.txt".into(), info.into_bytes());
        let exported = Exported {
            messages: rows.len(),
            files: files.len(),
            due,
            groups,
        };
        archive.append(vec![crate::archive::Entry::accessed(
            "dsar_export",
            format!(
                "{}: {} messages, {} files; answer due {due}",
                self.contact, exported.messages, exported.files
            ),
            by,
        )])?;
        Ok((exported, out))
    }

    /// Art. 17: which parts are erased and which restricted. A conversation's name and
    /// number go only with the last of its messages.
    pub fn erasure(&self, facts: &Facts, policy: &Policy<'_>, on: NaiveDate) -> Erasure {
        let items: Vec<Item> = retention::plan(&facts.buckets, &facts.holds, policy, on)
            .into_iter()
            .filter(|i| self.covers(&i.account, &i.conversation))
            .collect();
        let keeps = |i: &Item| {
            i.decision == "held" || (i.decision == "keep" && i.class != retention::NO_STATUTORY)
        };
        let (restrict, erase) = items.iter().cloned().partition(|i| {
            if i.year == retention::META_YEAR {
                items.iter().any(|o| {
                    o.year != retention::META_YEAR
                        && o.account == i.account
                        && o.conversation == i.conversation
                        && keeps(o)
                })
            } else {
                keeps(i)
            }
        });
        Erasure { erase, restrict }
    }

    /// Carries out `erasure`: destroys what it erases (tombstones), restricts the rest
    /// (out of the inbox, kept only in the archive until its period ends), and records
    /// the withdrawal of every consent (R-C11; the earlier records stay as evidence).
    /// Returns the answer to the customer, in German.
    pub fn erase(
        &self,
        books: &mut Books<'_>,
        erasure: &Erasure,
        compliance: &Compliance,
        by: &str,
    ) -> Result<String, LifecycleError> {
        let mut report = String::from("Antwort auf Ihren Antrag auf Löschung (Art. 17 DSGVO)\n\n");
        for i in &erasure.erase {
            let tomb = i.tombstone(
                "Art. 17 Abs. 1 DSGVO (Löschantrag)".into(),
                "erasure_request",
                by,
            );
            super::destroy(books, tomb)?;
            report.push_str(&format!("- Gelöscht: {}\n", i.part_de()));
        }
        let mut records = Vec::new();
        for i in &erasure.restrict {
            let reason = if i.holds.is_empty() {
                format!("gesetzliche Aufbewahrungspflicht: {}", i.rule)
            } else {
                i.holds_de.join("; ")
            };
            report.push_str(&format!(
                "- Eingeschränkt (Art. 18 DSGVO), gelöscht nach dem {}: {} — Grund: {}\n",
                i.retain_until.format("%d.%m.%Y"),
                i.part_de(),
                reason
            ));
            records.push(Payload::Restrict {
                contact: self.contact.clone(),
                account: i.account.clone(),
                conversation: i.conversation.clone(),
                year: i.year,
                until: i.retain_until.to_string(),
                reason,
                by: by.to_string(),
                at: Timestamp::now(),
            });
        }
        let (wording_version, wording_sha256) = compliance.wording.clone();
        for c in self.contacts() {
            records.push(Payload::Consent(ConsentRecord {
                purposes: Purpose::ALL.to_vec(),
                action: Action::Withdraw,
                wording_version: wording_version.clone(),
                wording_sha256: wording_sha256.clone(),
                wording: compliance.consent.wording.clone(),
                method: Method::StaffAction,
                evidence: Some("Art. 17 DSGVO: Löschantrag".into()),
                staff: by.to_string(),
                at: Timestamp::now(),
                ..c
            }));
        }
        books.record(&records)?;
        report.push_str("- Einwilligungen zur Kontaktaufnahme über Messenger: widerrufen\n");
        Ok(report)
    }

    /// A consent record's "who" for each conversation (address, channel, account,
    /// name); the rest of the record is the caller's.
    fn contacts(&self) -> Vec<ConsentRecord> {
        let mut seen = BTreeSet::new();
        self.conversations
            .iter()
            .filter_map(|k| self.all.conversations.get(k))
            .filter_map(|c| {
                let address =
                    crate::compliance::contact_address(c.contact.as_ref(), c.kind, &c.remote_id);
                seen.insert((c.channel, address.clone()))
                    .then(|| ConsentRecord {
                        account: c.account.0.clone(),
                        contact: c.title.clone(),
                        channel: c.channel,
                        address,
                        purposes: Vec::new(),
                        action: Action::Withdraw,
                        wording_version: String::new(),
                        wording_sha256: String::new(),
                        wording: String::new(),
                        method: Method::StaffAction,
                        evidence: None,
                        staff: String::new(),
                        at: Timestamp(0),
                    })
            })
            .collect()
    }
}

/// A conversation's retention, as the Art. 15 answer states it.
struct Period {
    account: String,
    conversation: String,
    class: String,
    years: i32,
}

/// The conversations about a customer: `keys` are what the office typed and what the
/// inbox knows of them (conversation id, number, handle, the network's id); records
/// from before a peer's id changed (a Signal number → its account id) count too.
fn contact_matches(c: &Collection, keys: &[String]) -> BTreeSet<(String, String)> {
    let mut ids: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
    loop {
        let before = ids.len();
        for (_, from, to) in &c.renames {
            if ids.contains(from.as_str()) || ids.contains(to.as_str()) {
                ids.insert(from);
                ids.insert(to);
            }
        }
        if ids.len() == before {
            break;
        }
    }
    let mut out = BTreeSet::new();
    for ((account, remote), conv) in &c.conversations {
        let person = conv.contact.as_ref().is_some_and(|x| {
            ids.contains(x.identity.as_str()) || x.phone.as_deref().is_some_and(|p| ids.contains(p))
        });
        if ids.contains(remote.as_str()) || keys.contains(&conv.title) || person {
            out.insert((account.clone(), remote.clone()));
        }
    }
    for r in &c.rows {
        if ids.contains(r.conversation.as_str()) {
            out.insert((r.account.clone(), r.conversation.clone()));
        }
    }
    out
}

fn art15_text(
    contact: &str,
    (messages, files): (usize, usize),
    group: bool,
    periods: &[Period],
    recipients: &str,
) -> String {
    // The processor register names them (R-C7); without one, the kinds of recipient.
    let recipients = match recipients.trim() {
        "" => {
            "die Anbieter der genutzten Messenger-Dienste und Übertragungswege (z. B. Signal; bei WhatsApp oder Telegram über eine Brücke: Meta bzw. Telegram sowie die Betreiber der Brücke und des Matrix-Servers)"
        }
        r => r,
    };
    let mut s = format!(
        "Auskunft nach Art. 15 DSGVO\n\nBetroffene Person: {}\nNachrichten: {messages}, Dateien: {files}\n\n\
         Zwecke: Bearbeitung Ihrer Anfragen und Aufträge über Messenger; Erfüllung gesetzlicher Aufbewahrungspflichten (§ 257 HGB, § 147 AO).\n\
         Empfänger: {}; darüber hinaus keine Weitergabe.\n\
         Herkunft: von Ihnen selbst über den Messenger übermittelt.\n\
         Speicherdauer:\n",
        crate::domain::sanitize_for_terminal(contact, false),
        crate::domain::sanitize_for_terminal(recipients, false)
    );
    for p in periods {
        s.push_str(&format!(
            "  - Gespräch {}: Klasse {}, {} Jahre nach Ende des Kalenderjahres\n",
            p.conversation, p.class, p.years
        ));
    }
    s.push_str(
        "\nIhre Rechte: Berichtigung (Art. 16), Löschung (Art. 17), Einschränkung (Art. 18), Datenübertragbarkeit (Art. 20), \
         Widerspruch (Art. 21), Widerruf einer Einwilligung (Art. 7 Abs. 3), Beschwerde bei einer Aufsichtsbehörde (Art. 77).\n\
         Maschinenlesbare Kopie: daten.json. Lesbarer Verlauf: verlauf.html.\n",
    );
    if group {
        s.push_str("\nHinweis intern: enthält Gruppenchats — Beiträge Dritter vor Herausgabe prüfen (Art. 15 Abs. 4 DSGVO).\n");
    }
    s
}
