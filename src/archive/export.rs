//! Reading the archive out for people: the tax auditor's data access (GoBD Z3, R-B8),
//! a customer's Art. 15/20 copy (R-C10) and conversation transcripts. Everything here
//! works from decrypted records; nothing is read from the inbox store, so an export
//! shows what the archive proves.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::payload::Payload;
use super::read::Record;
use crate::domain::{ConversationUpsert, Direction, Timestamp, sanitize_for_terminal};

/// A message as the archive knows it, with what happened to it later.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub seq: u64,
    pub account: String,
    pub conversation: String,
    pub at: Timestamp,
    pub direction: Direction,
    /// The customer's name or number for inbound, the staff member for outbound.
    pub sender: String,
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<(Timestamp, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_error: Option<String>,
    /// Delivery and read confirmations from the network, as they came.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<(Timestamp, crate::domain::Delivery)>,
    /// The network's original payload (inbound), exactly as archived.
    #[serde(skip)]
    pub raw: Option<String>,
    #[serde(skip)]
    local_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct File {
    pub seq: u64,
    pub account: String,
    pub conversation: String,
    pub message: String,
    pub name: String,
    pub mime: String,
    pub sha256: String,
    pub size: usize,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// Everything the archive holds about the conversations a filter chose.
#[derive(Debug, Default)]
pub struct Collection {
    pub conversations: BTreeMap<(String, String), ConversationUpsert>,
    pub rows: Vec<Row>,
    pub files: Vec<File>,
    /// Labels ever set per conversation (for the retention class).
    pub labels: BTreeMap<(String, String), BTreeSet<String>>,
    /// Records whose key was destroyed (retention ended or erased): counted, not shown.
    pub shredded: u64,
    /// Peers whose id changed (account, from, to): records before name them by `from`.
    pub renames: Vec<(String, String, String)>,
    /// Contact names the office corrected (R-C12), oldest first.
    pub corrections: Vec<crate::domain::correction::ContactCorrection>,
    /// Messages whose content is the owner's (R-E4): (account, conversation, message
    /// key) → the newest mark.
    pub sensitive: BTreeMap<(String, String, String), Option<crate::domain::Sensitive>>,
}

impl Collection {
    /// Marked messages for a viewer who is not the owner (R-E4): the mark instead of
    /// the text, no files, no edits.
    pub fn withhold_marked(&mut self) {
        for row in &mut self.rows {
            let keys = [
                row.remote_id.clone(),
                row.local_id.map(|id| format!("local:{id}")),
            ];
            let mark = keys.into_iter().flatten().find_map(|k| {
                self.sensitive
                    .get(&(row.account.clone(), row.conversation.clone(), k))
                    .copied()
                    .flatten()
            });
            if let Some(mark) = mark {
                row.body = format!(
                    "⊘ eingeschränkt – {}: nur für die Inhaberin oder den Inhaber",
                    mark.describe(true)
                );
                row.attachments.clear();
                row.edits.clear();
            }
        }
    }

    /// Feeds one record; `wanted(account, conversation)` chooses the conversations.
    pub fn add(&mut self, r: Record, wanted: &dyn Fn(&str, &str) -> bool) {
        let Some(p) = r.payload else {
            self.shredded += 1;
            return;
        };
        let row =
            |account: &str, conversation: &str, at, direction, sender: &str, body: &str| Row {
                seq: r.seq,
                account: account.to_string(),
                conversation: conversation.to_string(),
                at,
                direction,
                sender: sender.to_string(),
                body: body.to_string(),
                remote_id: None,
                attachments: Vec::new(),
                edits: Vec::new(),
                deleted_at: None,
                send_error: None,
                receipts: Vec::new(),
                raw: None,
                local_id: None,
            };
        match p {
            Payload::Conversation(c) if wanted(&c.account.0, &c.remote_id) => {
                self.conversations
                    .insert((c.account.0.clone(), c.remote_id.clone()), c);
            }
            Payload::Message(m) if wanted(&m.account.0, &m.conversation_remote_id) => {
                // A direct chat's inbound messages may carry no sender name of their own.
                let sender = if m.sender.is_empty() {
                    self.title(&m.account.0, &m.conversation_remote_id)
                } else {
                    m.sender.clone()
                };
                let mut x = row(
                    &m.account.0,
                    &m.conversation_remote_id,
                    m.sent_at,
                    m.direction,
                    &sender,
                    &m.body,
                );
                x.remote_id = Some(m.remote_id.clone());
                x.attachments = m.attachments.iter().map(|a| a.name.clone()).collect();
                x.raw = m.raw.clone();
                self.rows.push(x);
            }
            Payload::Outgoing {
                local_id,
                account,
                conversation,
                staff,
                body,
                attachments,
                at,
                ..
            } if wanted(&account, &conversation) => {
                let mut x = row(
                    &account,
                    &conversation,
                    at,
                    Direction::Outbound,
                    &staff,
                    &body,
                );
                x.attachments = attachments.iter().map(|a| a.name.clone()).collect();
                x.local_id = Some(local_id);
                self.rows.push(x);
            }
            Payload::SendResult {
                local_id,
                account,
                conversation,
                remote_id,
                error,
                ..
            } if wanted(&account, &conversation) => {
                if let Some(x) = self
                    .rows
                    .iter_mut()
                    .rev()
                    .find(|x| x.local_id == Some(local_id))
                {
                    x.remote_id = remote_id.or(x.remote_id.take());
                    x.send_error = error;
                }
            }
            Payload::Edit {
                account,
                conversation,
                remote_id,
                body,
                at,
            } if wanted(&account, &conversation) => {
                if let Some(x) = self.find(&account, &remote_id) {
                    x.edits.push((at, body));
                }
            }
            Payload::Receipt {
                account,
                conversation,
                remote_id,
                delivery,
                at,
            } if wanted(&account, &conversation) => {
                if let Some(x) = self.find(&account, &remote_id) {
                    x.receipts.push((at, delivery));
                }
            }
            Payload::Delete {
                account,
                conversation,
                remote_id,
                at,
            } if wanted(&account, &conversation) => {
                if let Some(x) = self.find(&account, &remote_id) {
                    x.deleted_at = Some(at);
                }
            }
            Payload::Attachment {
                account,
                conversation,
                message,
                name,
                mime,
                sha256,
                data,
                ..
            } if wanted(&account, &conversation) => {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap_or_default();
                self.files.push(File {
                    seq: r.seq,
                    account,
                    conversation,
                    message,
                    name,
                    mime,
                    sha256,
                    size: bytes.len(),
                    bytes,
                });
            }
            Payload::Classify {
                account,
                conversation,
                labels,
                ..
            } if wanted(&account, &conversation) => {
                self.labels
                    .entry((account, conversation))
                    .or_default()
                    .extend(labels);
            }
            Payload::PeerRenamed {
                account, from, to, ..
            } => self.renames.push((account, from, to)),
            Payload::ContactCorrected(c) if wanted(&c.account, &c.conversation) => {
                self.corrections.push(c)
            }
            Payload::Sensitive(s) if wanted(&s.account, &s.conversation) => {
                self.sensitive
                    .insert((s.account, s.conversation, s.message), s.mark);
            }
            _ => {}
        }
    }

    fn find(&mut self, account: &str, remote_id: &str) -> Option<&mut Row> {
        self.rows
            .iter_mut()
            .rev()
            .find(|x| x.account == account && x.remote_id.as_deref() == Some(remote_id))
    }

    pub fn title(&self, account: &str, conversation: &str) -> String {
        self.conversations
            .get(&(account.to_string(), conversation.to_string()))
            .map(|c| c.title.clone())
            .unwrap_or_else(|| conversation.to_string())
    }
}

/// Text that will be shown somewhere else: no control characters, no escape sequences.
fn clean(s: &str) -> String {
    sanitize_for_terminal(s, true).into_owned()
}

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn local_time(t: Timestamp) -> String {
    t.to_local().format("%d.%m.%Y %H:%M").to_string()
}

fn receipt_de(d: crate::domain::Delivery) -> &'static str {
    match d {
        crate::domain::Delivery::Read => "gelesen / read",
        crate::domain::Delivery::Delivered => "zugestellt / delivered",
        _ => "Status / state",
    }
}

/// What a transcript says about a message besides its text, in this order.
enum Remark<'a> {
    File(&'a str),
    Edited(Timestamp, &'a str),
    Deleted(Timestamp),
    NotSent(&'a str),
    /// The last receipt.
    Receipt(Timestamp, crate::domain::Delivery),
}

fn remarks(r: &Row) -> Vec<Remark<'_>> {
    let mut out: Vec<Remark<'_>> = r.attachments.iter().map(|a| Remark::File(a)).collect();
    out.extend(r.edits.iter().map(|(at, body)| Remark::Edited(*at, body)));
    out.extend(r.deleted_at.map(Remark::Deleted));
    out.extend(r.send_error.as_deref().map(Remark::NotSent));
    out.extend(r.receipts.last().map(|(at, d)| Remark::Receipt(*at, *d)));
    out
}

/// A conversation as plain text, oldest first.
pub fn transcript_txt(title: &str, rows: &[&Row]) -> String {
    let mut out = format!("Gesprächsverlauf / Transcript: {}\n\n", clean(title));
    for r in rows {
        let dir = match r.direction {
            Direction::Inbound => "←",
            Direction::Outbound => "→",
        };
        let _ = writeln!(out, "[{}] {dir} {}:", local_time(r.at), clean(&r.sender));
        for line in clean(&r.body).lines() {
            let _ = writeln!(out, "    {line}");
        }
        for remark in remarks(r) {
            let text = match remark {
                Remark::File(a) => format!("Anhang / attachment: {}", clean(a)),
                Remark::Edited(at, body) => {
                    format!("bearbeitet / edited {}: {}", local_time(at), clean(body))
                }
                Remark::Deleted(at) => format!(
                    "vom Absender gelöscht / deleted by the sender {}",
                    local_time(at)
                ),
                Remark::NotSent(e) => format!("nicht zugestellt / not sent: {}", clean(e)),
                Remark::Receipt(at, d) => format!("{} {}", receipt_de(d), local_time(at)),
            };
            let _ = writeln!(out, "    [{text}]");
        }
        out.push('\n');
    }
    out
}

/// A conversation as a self-contained HTML page (no scripts, no remote resources).
pub fn transcript_html(title: &str, rows: &[&Row]) -> String {
    let mut out = String::new();
    let t = html_escape(title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"de\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>{t}</title><style>\
         body{{font-family:sans-serif;max-width:48em;margin:2em auto}}\
         .m{{margin:.6em 0;padding:.4em .7em;border-radius:6px;white-space:pre-wrap}}\
         .in{{background:#eef}}.out{{background:#efe;margin-left:4em}}\
         .meta{{color:#555;font-size:.85em}}</style></head><body>\n<h1>{t}</h1>\n"
    );
    for r in rows {
        let class = match r.direction {
            Direction::Inbound => "in",
            Direction::Outbound => "out",
        };
        let _ = write!(
            out,
            "<div class=\"m {class}\"><div class=\"meta\">{} · {}</div>{}",
            local_time(r.at),
            html_escape(&r.sender),
            html_escape(&r.body)
        );
        for remark in remarks(r) {
            let text = match remark {
                Remark::File(a) => format!("📎 {}", html_escape(a)),
                Remark::Edited(at, body) => {
                    format!("bearbeitet {}: {}", local_time(at), html_escape(body))
                }
                Remark::Deleted(at) => format!("vom Absender gelöscht {}", local_time(at)),
                Remark::NotSent(e) => format!("nicht zugestellt: {}", html_escape(e)),
                Remark::Receipt(at, d) => format!("{} {}", receipt_de(d), local_time(at)),
            };
            let _ = write!(out, "<div class=\"meta\">{text}</div>");
        }
        out.push_str("</div>\n");
    }
    out.push_str("</body></html>\n");
    out
}

/// One CSV field: always quoted, quotes doubled, line breaks kept (the index says so).
fn csv(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Writes `dir/name` without ever replacing a file that is there.
pub fn write_new(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let path = dir.join(name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(path)
}

fn write_new_nosync(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let path = dir.join(name);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?
        .write_all(data)?;
    Ok(path)
}

pub struct Supplier<'a> {
    pub name: &'a str,
    pub location: &'a str,
    pub comment: &'a str,
}

/// The auditor's export (GoBD Z3): `nachrichten.csv`, `anhaenge.csv`, the files,
/// `originale/` (the network's payloads), `index.xml` after the Beschreibungsstandard,
/// and `manifest.sha256` over everything, as files to write (`write_tree`).
pub fn auditor(
    rows: &[(&Row, String, String)],
    files: &[&File],
    supplier: &Supplier<'_>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Vec<(String, Vec<u8>)> {
    let mut written: Vec<(String, Vec<u8>)> = Vec::new();
    // The network's originals, one JSON line per message: {"seq":…,"original":"…"}.
    let mut originals = String::new();
    let mut msgs = String::from(
        "\"seq\";\"zeitpunkt_utc\";\"richtung\";\"konto\";\"gespraech\";\"gespraech_name\";\"absender\";\"text\";\"anhaenge\";\"netz_id\";\"klasse\";\"original\"\r\n",
    );
    for (r, title, class) in rows {
        let original = match &r.raw {
            Some(raw) => {
                originals
                    .push_str(&serde_json::json!({ "seq": r.seq, "original": raw }).to_string());
                originals.push('\n');
                format!("originale.jsonl#{}", r.seq)
            }
            None => String::new(),
        };
        let body = match r.edits.last() {
            Some((_, e)) => format!("{}\n[bearbeitet: {}]", r.body, e),
            None => r.body.clone(),
        };
        let _ = write!(
            msgs,
            "{};{};{};{};{};{};{};{};{};{};{};{}\r\n",
            r.seq,
            csv(&r.at.rfc3339()),
            csv(match r.direction {
                Direction::Inbound => "eingang",
                Direction::Outbound => "ausgang",
            }),
            csv(&r.account),
            csv(&r.conversation),
            csv(&clean(title)),
            csv(&clean(&r.sender)),
            csv(&clean(&body)),
            csv(&r
                .attachments
                .iter()
                .map(|a| clean(a))
                .collect::<Vec<_>>()
                .join(", ")),
            csv(r.remote_id.as_deref().unwrap_or("")),
            csv(class),
            csv(&original),
        );
    }
    let mut att = String::from(
        "\"seq\";\"konto\";\"gespraech\";\"nachricht\";\"name\";\"typ\";\"groesse\";\"sha256\";\"datei\"\r\n",
    );
    for f in files {
        let file = format!(
            "dateien/{}-{}",
            &f.sha256[..16.min(f.sha256.len())],
            crate::domain::safe_file_name(&f.name)
        );
        let _ = write!(
            att,
            "{};{};{};{};{};{};{};{};{}\r\n",
            f.seq,
            csv(&f.account),
            csv(&f.conversation),
            csv(&f.message),
            csv(&clean(&f.name)),
            csv(&f.mime),
            f.size,
            csv(&f.sha256),
            csv(&file)
        );
        written.push((file, f.bytes.clone()));
    }
    written.push(("nachrichten.csv".into(), msgs.into_bytes()));
    written.push(("originale.jsonl".into(), originals.into_bytes()));
    written.push(("anhaenge.csv".into(), att.into_bytes()));
    written.push((
        "index.xml".into(),
        index_xml(supplier, from, to).into_bytes(),
    ));
    let mut manifest = String::new();
    let mut seen = BTreeSet::new();
    // The same file attached twice is written once.
    written.retain(|(name, _)| seen.insert(name.clone()));
    for (name, data) in &written {
        let _ = writeln!(manifest, "{}  {name}", super::format::sha256_hex(data));
    }
    written.push(("manifest.sha256".into(), manifest.into_bytes()));
    written
}

/// Writes `files` (paths inside `out`, `/`-separated) into `out`, creating it and the
/// directories inside, never replacing a file; one sync at the end instead of one per
/// file.
pub fn write_tree(out: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let mut dirs = BTreeSet::new();
    dirs.insert(out.to_path_buf());
    crate::fsutil::ensure_private_dir(out).map_err(std::io::Error::other)?;
    for (name, data) in files {
        let path = Path::new(name);
        // A name from an export is ours, but one from a peer is checked all the same:
        // nothing may land outside `out`.
        if path.is_absolute()
            || path
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(std::io::Error::other(format!("refused file name {name:?}")));
        }
        let target = out.join(path);
        if let Some(dir) = target.parent()
            && dirs.insert(dir.to_path_buf())
        {
            std::fs::create_dir_all(dir)?;
        }
        let dir = target.parent().unwrap_or(out);
        let file = target
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        write_new_nosync(dir, &file, data)?;
    }
    for d in &dirs {
        if let Ok(f) = std::fs::File::open(d) {
            f.sync_all()?;
        }
    }
    Ok(())
}

fn xml(s: &str) -> String {
    html_escape(s)
}

/// `index.xml` after the Beschreibungsstandard (DTD gdpdu-01-08-2002): two tables,
/// semicolon-separated, UTF-8, every field quoted.
pub fn index_xml(s: &Supplier<'_>, from: chrono::NaiveDate, to: chrono::NaiveDate) -> String {
    let col = |name: &str, desc: &str, kind: &str| {
        format!(
            "        <VariableColumn><Name>{name}</Name><Description>{desc}</Description>{kind}</VariableColumn>\n"
        )
    };
    let text = "<AlphaNumeric/>";
    let num = "<Numeric/>";
    let table = |url: &str, name: &str, desc: &str, key: &str, cols: String| {
        format!(
            "    <Table>\n      <URL>{url}</URL>\n      <Name>{name}</Name>\n      <Description>{desc}</Description>\n      \
             <Validity><Range><From>{}</From><To>{}</To></Range></Validity>\n      <UTF8/>\n      \
             <DecimalSymbol>,</DecimalSymbol>\n      <DigitGroupingSymbol>.</DigitGroupingSymbol>\n      <VariableLength>\n        \
             <ColumnDelimiter>;</ColumnDelimiter>\n        <RecordDelimiter>&#13;&#10;</RecordDelimiter>\n        \
             <TextEncapsulator>\"</TextEncapsulator>\n        <VariablePrimaryKey><Name>{key}</Name><Description>Laufende Nummer im Archiv</Description><Numeric/></VariablePrimaryKey>\n{cols}      </VariableLength>\n    </Table>\n",
            from.format("%d.%m.%Y"),
            to.format("%d.%m.%Y")
        )
    };
    let messages = [
        col("zeitpunkt_utc", "Zeitpunkt (RFC 3339, UTC)", text),
        col("richtung", "eingang oder ausgang", text),
        col("konto", "Geschäftliches Messenger-Konto", text),
        col("gespraech", "Kennung des Gesprächs im Netz", text),
        col("gespraech_name", "Name des Gesprächs", text),
        col(
            "absender",
            "Kunde (Eingang) oder Mitarbeiter (Ausgang)",
            text,
        ),
        col("text", "Nachrichtentext", text),
        col("anhaenge", "Namen der Anhänge", text),
        col("netz_id", "Kennung der Nachricht im Netz", text),
        col("klasse", "Aufbewahrungsklasse", text),
        col(
            "original",
            "Nachricht im Originalformat: Zeile in originale.jsonl (seq)",
            text,
        ),
    ]
    .concat();
    let files = [
        col("konto", "Geschäftliches Messenger-Konto", text),
        col("gespraech", "Kennung des Gesprächs im Netz", text),
        col(
            "nachricht",
            "Kennung der Nachricht (netz_id oder local:Nummer)",
            text,
        ),
        col("name", "Dateiname", text),
        col("typ", "MIME-Typ", text),
        col("groesse", "Größe in Bytes", num),
        col("sha256", "SHA-256 der Datei", text),
        col("datei", "Pfad der Datei in diesem Export", text),
    ]
    .concat();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE DataSet SYSTEM \"gdpdu-01-08-2002.dtd\">\n<DataSet>\n  \
         <Version>1.0</Version>\n  <DataSupplier>\n    <Name>{}</Name>\n    <Location>{}</Location>\n    <Comment>{}</Comment>\n  </DataSupplier>\n  \
         <Media>\n    <Name>tresen Datenüberlassung</Name>\n{}{}  </Media>\n</DataSet>\n",
        xml(s.name),
        xml(s.location),
        xml(s.comment),
        table(
            "nachrichten.csv",
            "Nachrichten",
            "Geschäftliche Messenger-Nachrichten (Handels- und Geschäftsbriefe)",
            "seq",
            messages
        ),
        table(
            "anhaenge.csv",
            "Anhaenge",
            "Dateien zu den Nachrichten",
            "seq",
            files
        ),
    )
}
