//! `tresen dsar export / erase`: a customer's GDPR requests (Art. 15, 17, 20), found in
//! the archive by what the office types and what the inbox knows of them.

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use crate::archive::export::{self, Collection, Row};
use crate::archive::retention;
use crate::archive::{Entry, Payload, Scope};
use crate::cli::common::{clean, collect_all, confirm};
use crate::config::{Config, Paths};
use crate::domain::{Timestamp, sanitize_for_terminal};
use crate::error::UsageError;
use crate::lifecycle::{destroy, gather, purge_year, store_labels, today};
use crate::store::StoreRead as _;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DsarCommand {
    /// Everything about one customer, for an Art. 15 / Art. 20 request
    ///
    /// JSON (machine-readable), an HTML transcript, the files, and the Art. 15
    /// information (purposes, recipients, periods, rights) in a new directory.
    Export {
        /// The customer: phone number, handle or conversation id
        contact: String,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Art. 17: delete what no retention duty covers, restrict the rest until its end
    Erase {
        contact: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

/// The conversations about a customer: `keys` are what the office typed and what the
/// inbox knows of them (conversation id, number, handle, the network's id); records
/// from before a peer's id changed (a Signal number → its account id) count too.
pub(crate) fn contact_matches(c: &Collection, keys: &[String]) -> BTreeSet<(String, String)> {
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

pub fn run_dsar(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: DsarCommand,
) -> Result<ExitCode> {
    let mut p = crate::profile::open(config, paths, prompt)?;
    let blobs = p.blobs();
    let labels = store_labels(&p.store)?;
    let ledger = p.store.ledger_all()?;
    let archive = p.archive.as_mut().context("no archive")?;
    let dir = archive.dir().to_path_buf();
    let all = collect_all(&dir, archive.keys())?;
    let contact = match &cmd {
        DsarCommand::Export { contact, .. } | DsarCommand::Erase { contact, .. } => contact.clone(),
    };
    // What the office typed, and what the inbox resolves it to (a conversation id from
    // `tresen list`, a number shown beside a network id).
    let mut keys = vec![contact.clone()];
    if let Some(c) = p.store.find_conversation(&contact)? {
        keys.push(c.remote_id.clone());
        if let Some(ct) = &c.contact {
            keys.push(ct.identity.clone());
            keys.extend(ct.phone.clone());
        }
    }
    let convs = contact_matches(&all, &keys);
    if convs.is_empty() {
        return Err(UsageError(format!(
            "the archive holds nothing about `{contact}` (give the number, handle or conversation id)"
        ))
        .into());
    }
    match cmd {
        DsarCommand::Export { out, .. } => {
            if out.exists() {
                return Err(
                    UsageError(format!("{} exists; name a new directory", out.display())).into(),
                );
            }
            crate::fsutil::ensure_private_dir(&out)?;
            crate::fsutil::ensure_private_dir(&out.join("dateien"))?;
            let rows: Vec<&Row> = all
                .rows
                .iter()
                .filter(|r| convs.contains(&(r.account.clone(), r.conversation.clone())))
                .collect();
            let files: Vec<_> = all
                .files
                .iter()
                .filter(|f| convs.contains(&(f.account.clone(), f.conversation.clone())))
                .collect();
            let mut html = String::new();
            let mut group = false;
            for (account, remote) in &convs {
                let title = all.title(account, remote);
                if all
                    .conversations
                    .get(&(account.clone(), remote.clone()))
                    .is_some_and(|c| c.kind == crate::domain::ConversationKind::Group)
                {
                    group = true;
                }
                let mine: Vec<&Row> = rows
                    .iter()
                    .copied()
                    .filter(|r| &r.account == account && &r.conversation == remote)
                    .collect();
                html.push_str(&export::transcript_html(&title, &mine));
            }
            export::write_new(&out, "verlauf.html", html.as_bytes())?;
            let mut file_list = Vec::new();
            for f in &files {
                let name = format!(
                    "{}-{}",
                    &f.sha256[..16.min(f.sha256.len())],
                    crate::domain::safe_file_name(&f.name)
                );
                if !out.join("dateien").join(&name).exists() {
                    export::write_new(&out.join("dateien"), &name, &f.bytes)?;
                }
                file_list.push(serde_json::json!({
                    "name": f.name, "mime": f.mime, "size": f.size, "sha256": f.sha256,
                    "message": f.message, "file": format!("dateien/{name}"),
                }));
            }
            let tags = config.retention.tag_pairs();
            let retention: Vec<_> = convs
                .iter()
                .map(|(a, c)| {
                    let l: Vec<String> = labels.get(&(a.clone(), c.clone())).cloned().unwrap_or_default();
                    let class = retention::class_for(&l, &tags, &config.retention.default_class);
                    let years = retention::rule_for(class, today()).map_or(config.retention.no_statutory_years, |r| r.years);
                    serde_json::json!({ "account": a, "conversation": c, "class": class, "years_after_end_of_year": years })
                })
                .collect();
            // The consent records about these conversations' contacts (R-C10).
            let addresses: BTreeSet<String> = contacts_of(&all, &convs)
                .into_iter()
                .map(|c| c.address)
                .collect();
            let consents: Vec<_> = ledger
                .iter()
                .filter_map(|e| match e {
                    crate::compliance::LedgerEntry::Consent(r)
                        if addresses.contains(&r.address) =>
                    {
                        Some(r)
                    }
                    _ => None,
                })
                .collect();
            let due = (chrono::Local::now() + chrono::Months::new(1)).date_naive();
            let json = serde_json::json!({
                "format": "tresen-dsar/1",
                "subject": contact,
                "created_at": Timestamp::now().rfc3339(),
                "conversations": convs.iter().map(|(a, c)| all.conversations.get(&(a.clone(), c.clone())).cloned()).collect::<Vec<_>>(),
                "messages": rows,
                "files": file_list,
                "consents": consents,
                "retention": retention,
                "third_parties_review_needed": group,
            });
            export::write_new(
                &out,
                "daten.json",
                serde_json::to_string_pretty(&json)?.as_bytes(),
            )?;
            let info = art15_text(&contact, rows.len(), files.len(), group, &retention);
            export::write_new(&out, "auskunft.txt", info.as_bytes())?;
            archive.append(vec![Entry {
                scope: Scope::System,
                payload: Payload::Access {
                    what: "dsar_export".into(),
                    scope: format!(
                        "{contact}: {} messages, {} files; answer due {due}",
                        rows.len(),
                        files.len()
                    ),
                    by: config.staff_name(),
                    at: Timestamp::now(),
                },
            }])?;
            crate::outln!(
                "{}: {} messages, {} files written to {} (answer due {due}, Art. 12(3) GDPR)",
                sanitize_for_terminal(&contact, false),
                rows.len(),
                files.len(),
                out.display()
            );
            if group {
                crate::outln!(
                    "Group chats included: check other people's messages before handing it over (Art. 15(4) GDPR)."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DsarCommand::Erase { yes, .. } => {
            let facts = gather(&dir, archive.keys(), &labels)?;
            let tags = config.retention.tag_pairs();
            let policy = retention::Policy {
                default_class: &config.retention.default_class,
                tags: &tags,
                no_statutory_years: config.retention.no_statutory_years,
            };
            let on = today();
            let items: Vec<_> = retention::plan(&facts.buckets, &facts.holds, &policy, on)
                .into_iter()
                .filter(|i| convs.contains(&(i.account.clone(), i.conversation.clone())))
                .collect();
            // Statutory retention (Art. 17(3)(b)) or a hold (17(3)(e)): restrict. Else erase.
            // A conversation's name and number go only with the last of its messages.
            let keeps = |i: &retention::Item| {
                i.decision == "held" || (i.decision == "keep" && i.class != retention::NO_STATUTORY)
            };
            let (restrict, erase): (Vec<_>, Vec<_>) = items.iter().partition(|i| {
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
            crate::outln!(
                "Erasure request for {}:",
                sanitize_for_terminal(&contact, false)
            );
            for i in &erase {
                crate::outln!(
                    "  erase    {} {} ({} records, class {})",
                    i.conversation,
                    i.year,
                    i.records,
                    i.class
                );
            }
            for i in &restrict {
                let why = if i.holds.is_empty() {
                    format!("statutory retention until {} ({})", i.retain_until, i.rule)
                } else {
                    format!("hold: {}", i.holds.join("; "))
                };
                crate::outln!(
                    "  restrict {} {} ({} records): {}",
                    i.conversation,
                    i.year,
                    i.records,
                    sanitize_for_terminal(&why, false)
                );
            }
            if !confirm("Carry this out?", yes, "--yes")? {
                eprintln!("nothing changed");
                return Ok(ExitCode::SUCCESS);
            }
            let by = config.staff_name();
            let mut report =
                String::from("Antwort auf Ihren Antrag auf Löschung (Art. 17 DSGVO)\n\n");
            for i in &erase {
                let tomb = retention::Tombstone {
                    bucket: i.bucket.clone(),
                    account: i.account.clone(),
                    conversation: i.conversation.clone(),
                    year: i.year,
                    class: i.class.clone(),
                    rule: "Art. 17 Abs. 1 DSGVO (Löschantrag)".into(),
                    retain_until: i.retain_until,
                    records: i.records,
                    first_seq: i.first_seq,
                    last_seq: i.last_seq,
                    reason: "erasure_request".into(),
                    by: by.clone(),
                    at: Timestamp::now(),
                };
                destroy(archive, &mut p.store, &blobs, tomb)?;
                let _ = std::fmt::Write::write_fmt(
                    &mut report,
                    format_args!("- Gelöscht: Nachrichten aus {}\n", i.year),
                );
            }
            for i in &restrict {
                let reason = if i.holds.is_empty() {
                    format!("gesetzliche Aufbewahrungspflicht: {}", i.rule)
                } else {
                    format!("Aufbewahrung wegen {}", i.holds.join("; "))
                };
                archive.append(vec![Entry {
                    scope: Scope::System,
                    payload: Payload::Restrict {
                        contact: contact.clone(),
                        account: i.account.clone(),
                        conversation: i.conversation.clone(),
                        year: i.year,
                        until: i.retain_until.to_string(),
                        reason: reason.clone(),
                        by: by.clone(),
                        at: Timestamp::now(),
                    },
                }])?;
                // Restricted: out of the inbox and its search; kept only in the archive.
                purge_year(&mut p.store, &blobs, &i.account, &i.conversation, i.year)?;
                let _ = std::fmt::Write::write_fmt(
                    &mut report,
                    format_args!(
                        "- Eingeschränkt (Art. 18 DSGVO), gelöscht nach dem {}: Nachrichten aus {} — Grund: {}\n",
                        i.retain_until.format("%d.%m.%Y"),
                        i.year,
                        reason
                    ),
                );
            }
            // Every consent ends with the erasure (R-C11); the withdrawal is a new
            // ledger record, the earlier ones stay as evidence.
            let (wording_version, wording_sha256) = p.compliance.wording.clone();
            for c in contacts_of(&all, &convs) {
                let record = crate::compliance::consent::ConsentRecord {
                    purposes: crate::compliance::consent::Purpose::ALL.to_vec(),
                    action: crate::compliance::consent::Action::Withdraw,
                    wording_version: wording_version.clone(),
                    wording_sha256: wording_sha256.clone(),
                    wording: p.compliance.consent.wording.clone(),
                    method: crate::compliance::consent::Method::StaffAction,
                    evidence: Some("Art. 17 DSGVO: Löschantrag".into()),
                    staff: by.clone(),
                    at: Timestamp::now(),
                    ..c
                };
                archive.append(vec![Entry {
                    scope: Scope::System,
                    payload: Payload::Consent(record.clone()),
                }])?;
                use crate::store::Store as _;
                p.store.apply(&[crate::store::Op::Ledger(
                    crate::compliance::LedgerEntry::Consent(record),
                )])?;
            }
            report.push_str("- Einwilligungen zur Kontaktaufnahme über Messenger: widerrufen\n");
            crate::outln!("\n{}", sanitize_for_terminal(&report, true));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A consent record's "who" for each matched conversation (address, channel, account,
/// name); the rest of the record is filled by the caller.
pub(crate) fn contacts_of(
    all: &Collection,
    convs: &BTreeSet<(String, String)>,
) -> Vec<crate::compliance::consent::ConsentRecord> {
    let mut seen = BTreeSet::new();
    convs
        .iter()
        .filter_map(|k| all.conversations.get(k))
        .filter_map(|c| {
            let address =
                crate::compliance::contact_address(c.contact.as_ref(), c.kind, &c.remote_id);
            seen.insert((c.channel, address.clone())).then(|| {
                crate::compliance::consent::ConsentRecord {
                    account: c.account.0.clone(),
                    contact: c.title.clone(),
                    channel: c.channel,
                    address,
                    purposes: Vec::new(),
                    action: crate::compliance::consent::Action::Withdraw,
                    wording_version: String::new(),
                    wording_sha256: String::new(),
                    wording: String::new(),
                    method: crate::compliance::consent::Method::StaffAction,
                    evidence: None,
                    staff: String::new(),
                    at: Timestamp(0),
                }
            })
        })
        .collect()
}

pub(crate) fn art15_text(
    contact: &str,
    messages: usize,
    files: usize,
    group: bool,
    retention: &[serde_json::Value],
) -> String {
    let mut s = format!(
        "Auskunft nach Art. 15 DSGVO\n\nBetroffene Person: {}\nNachrichten: {messages}, Dateien: {files}\n\n\
         Zwecke: Bearbeitung Ihrer Anfragen und Aufträge über Messenger; Erfüllung gesetzlicher Aufbewahrungspflichten (§ 257 HGB, § 147 AO).\n\
         Empfänger: keine Weitergabe an Dritte; technische Übermittlung über den jeweiligen Messenger-Dienst.\n\
         Herkunft: von Ihnen selbst über den Messenger übermittelt.\n\
         Speicherdauer:\n",
        clean(contact)
    );
    for r in retention {
        s.push_str(&format!(
            "  - Gespräch {}: Klasse {}, {} Jahre nach Ende des Kalenderjahres\n",
            r["conversation"].as_str().unwrap_or(""),
            r["class"].as_str().unwrap_or(""),
            r["years_after_end_of_year"]
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
