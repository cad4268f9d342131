//! `tresen list` and `tresen show`: the inbox as text or as the stable `--json` shapes
//! (docs/json.md). Readers only: they never take the profile lock.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use std::process::ExitCode;

use crate::app::i18n::Lang;
use crate::domain::{Conversation, Delivery, Message, Timestamp, sanitize_for_terminal};
use crate::store::StoreRead;

/// `--json` shapes. Versioned and documented in docs/json.md; change only by adding fields.
#[derive(Serialize)]
struct JsonContact<'a> {
    identity: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonConversation<'a> {
    id: i64,
    account: &'a str,
    remote_id: &'a str,
    kind: crate::domain::ConversationKind,
    network: &'a str,
    title: &'a str,
    contact: Option<JsonContact<'a>>,
    state: &'a str,
    snoozed_until: Option<String>,
    /// The follow-up date of a waiting conversation (`w`).
    #[serde(skip_serializing_if = "Option::is_none")]
    follow_up: Option<String>,
    /// Since when the customer has been waiting for an answer (their oldest unanswered
    /// message); absent when nobody waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting_since: Option<String>,
    labels: &'a [String],
    unread: u32,
    marked_unread: bool,
    last_activity: String,
    last_preview: &'a str,
    security: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    assigned: Option<&'a str>,
}

impl<'a> From<&'a Conversation> for JsonConversation<'a> {
    fn from(c: &'a Conversation) -> Self {
        Self {
            id: c.id.0,
            account: &c.account.0,
            remote_id: &c.remote_id,
            kind: c.kind,
            network: c.channel.as_str(),
            title: &c.title,
            contact: c.contact.as_ref().map(|ct| JsonContact {
                identity: &ct.identity,
                name: &ct.display_name,
                phone: ct.phone.as_deref(),
            }),
            state: c.state.name(),
            snoozed_until: match c.state {
                crate::domain::TriageState::Snoozed(t) => Some(t.rfc3339()),
                _ => None,
            },
            follow_up: match c.state {
                crate::domain::TriageState::FollowUp(t) => Some(t.rfc3339()),
                _ => None,
            },
            waiting_since: c.waiting_since.map(|t| t.rfc3339()),
            labels: &c.labels,
            unread: c.unread,
            marked_unread: c.marked_unread,
            last_activity: c.last_activity.rfc3339(),
            last_preview: &c.last_preview,
            security: c.security.as_str(),
            assigned: c.assigned.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct JsonMessage<'a> {
    id: i64,
    remote_id: Option<&'a str>,
    kind: crate::domain::MessageKind,
    direction: crate::domain::Direction,
    sender: &'a str,
    body: &'a str,
    edited_body: Option<&'a str>,
    edited_at: Option<String>,
    deleted_at: Option<String>,
    attachments: Vec<JsonAttachment<'a>>,
    sent_at: String,
    received_at: String,
    delivery: &'a str,
    /// Why sending failed (for `failed` and `unclear`).
    failure: Option<&'a str>,
    reactions: Vec<JsonReaction<'a>>,
    /// Sent from another device, past tresen's footer and consent check (R-F2).
    sent_elsewhere: bool,
    /// `art9` or `third_party`: its content is the owner's (R-E4); others get it empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    sensitive: Option<&'static str>,
    /// The `id` of the message this reply quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    quote: Option<i64>,
}

#[derive(Serialize)]
struct JsonReaction<'a> {
    key: &'a str,
    sender: &'a str,
    outbound: bool,
}

/// The network's media address is left out on purpose: for encrypted rooms it holds
/// the file's decryption key.
#[derive(Serialize)]
struct JsonAttachment<'a> {
    name: &'a str,
    mime: &'a str,
    size: u64,
    /// In tresen's attachment store (`tresen attachment save` works offline).
    downloaded: bool,
}

impl<'a> From<&'a Message> for JsonMessage<'a> {
    fn from(m: &'a Message) -> Self {
        Self {
            id: m.id.0,
            remote_id: m.remote_id.as_deref(),
            kind: m.kind,
            direction: m.direction,
            sender: &m.sender,
            body: &m.body,
            edited_body: m.edit.as_ref().map(|e| e.body.as_str()),
            edited_at: m.edit.as_ref().map(|e| e.at.rfc3339()),
            deleted_at: m.deleted_at.map(|t| t.rfc3339()),
            attachments: m
                .attachments
                .iter()
                .map(|a| JsonAttachment {
                    name: &a.name,
                    mime: &a.mime,
                    size: a.size,
                    downloaded: a.blob.is_some(),
                })
                .collect(),
            sent_at: m.sent_at.rfc3339(),
            received_at: m.received_at.rfc3339(),
            delivery: m.delivery.as_str(),
            failure: m
                .failure
                .as_deref()
                .map(|f| crate::domain::failure_text(f, false)),
            reactions: m
                .reactions
                .iter()
                .map(|r| JsonReaction {
                    key: &r.key,
                    sender: &r.sender,
                    outbound: r.outbound,
                })
                .collect(),
            sent_elsewhere: m.elsewhere,
            sensitive: m.sensitive.map(|s| s.as_str()),
            quote: m.quote.map(|q| q.0),
        }
    }
}

pub(crate) fn safe(s: &str) -> String {
    sanitize_for_terminal(s, false).into_owned()
}

pub(crate) fn list(store: &dyn StoreRead, json: bool, all: bool, lang: Lang) -> Result<ExitCode> {
    let now = Timestamp::now();
    let convs: Vec<Conversation> = store
        .conversations()?
        .into_iter()
        .filter(|c| {
            all || matches!(
                c.state.effective(now),
                crate::domain::TriageState::Open
                    | crate::domain::TriageState::Waiting
                    | crate::domain::TriageState::FollowUp(_)
            )
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({
            "version": 1,
            "conversations": convs.iter().map(JsonConversation::from).collect::<Vec<_>>(),
        });
        crate::out::json_to(&mut out, &v)?;
    } else {
        let german = lang == Lang::De;
        let age_w = if german {
            crate::domain::AGE_WIDTH_DE
        } else {
            4
        };
        let state_w = if german { 14 } else { 8 };
        writeln!(
            out,
            "{:>6}  {:<4}  {:<state_w$}  {:>9}  {:>age_w$}  {:<24}  {}",
            "ID",
            lang.t("NETZ", "NET"),
            lang.t("STATUS", "STATE"),
            lang.t("UNGELESEN", "UNREAD"),
            lang.t("ALTER", "AGE"),
            lang.t("KUNDE", "CUSTOMER"),
            lang.t("LETZTE NACHRICHT", "LAST MESSAGE"),
        )?;
        for c in &convs {
            writeln!(
                out,
                "{:>6}  {:<4}  {:<state_w$}  {:>9}  {:>age_w$}  {:<24}  {}",
                c.id.0,
                c.channel.badge(),
                short_state(c.state.effective(now), lang),
                if c.unread > 0 {
                    c.unread.to_string()
                } else {
                    String::new()
                },
                c.last_activity.age_in(now, german),
                crate::ui::text::truncate(&safe(&c.title), 24),
                crate::ui::text::truncate(&safe(&c.last_preview), 60),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The conversation staff named: its id, the customer's number (also in national form,
/// with `[ui] default_country`), handle or exact name.
pub(crate) fn find(
    store: &dyn StoreRead,
    key: &str,
    config: &crate::config::Config,
) -> Result<Conversation> {
    store
        .find_typed(key, &config.ui.default_country)?
        .ok_or_else(|| crate::cli::common::no_conversation(key, config.language()))
}

/// `tresen show`: with `staff_names`, the read is archived first (R-D3).
pub(crate) fn show_command(
    config: &crate::config::Config,
    profile: crate::profile::ReadProfile,
    key: &str,
    (json, limit): (bool, usize),
    staff_names: bool,
) -> Result<ExitCode> {
    let record = |scope: &str| {
        let what = "conversation with staff names";
        crate::cli::common::record_read(config, &profile.paths, &profile.key, what, scope)
    };
    let names = staff_names.then_some(&record as crate::cli::common::RecordRead<'_>);
    show(&profile.store, config, key, (json, limit), names)
}

/// `record`: staff names are asked for; it archives the read (R-D3) before they are
/// shown. Without it, the reader sees their own name and "Team" for colleagues, as on
/// a staff seat.
fn show(
    store: &dyn StoreRead,
    config: &crate::config::Config,
    key: &str,
    (json, limit): (bool, usize),
    record: Option<crate::cli::common::RecordRead<'_>>,
) -> Result<ExitCode> {
    let c = find(store, key, config)?;
    let mut messages = store.messages(c.id, None, limit)?;
    match record {
        Some(record) => record(&format!("{}/{}", c.account.0, c.remote_id))?,
        None => crate::compliance::staff::Identity {
            name: config.staff_name(),
            role: crate::compliance::staff::Role::Staff,
            scope: None,
        }
        .attribute(&mut messages),
    }
    let mut out = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({
            "version": 1,
            "conversation": JsonConversation::from(&c),
            "messages": messages.iter().map(JsonMessage::from).collect::<Vec<_>>(),
        });
        crate::out::json_to(&mut out, &v)?;
        return Ok(ExitCode::SUCCESS);
    }
    let lang = config.language();
    writeln!(
        out,
        "[{}] {} ({})",
        c.channel.badge(),
        safe(&c.title),
        crate::app::state_label(c.state, lang)
    )?;
    let date_format = match lang {
        Lang::De => "%d.%m.%Y %H:%M",
        Lang::En => "%Y-%m-%d %H:%M",
    };
    for m in &messages {
        let when = m.sent_at.to_local().format(date_format);
        let delivery = delivery_word(m.delivery, lang);
        let who = match (m.kind, m.direction) {
            (crate::domain::MessageKind::Note, _) => {
                format!("{} {}", lang.t("NOTIZ", "NOTE"), safe(&m.sender))
            }
            (crate::domain::MessageKind::System, _) => "--".into(),
            (_, crate::domain::Direction::Inbound) => {
                if m.sender.is_empty() {
                    safe(&c.title)
                } else {
                    safe(&m.sender)
                }
            }
            (_, crate::domain::Direction::Outbound) if record.is_some() && !m.sender.is_empty() => {
                format!("> {delivery} ({})", safe(&m.sender))
            }
            (_, crate::domain::Direction::Outbound) => format!("> {delivery}"),
        };
        // What a quoted reply answers, on its own line above it.
        if let Some(q) = m.quote {
            let quoted = match messages.iter().find(|o| o.id == q) {
                Some(o) if !o.body.is_empty() => {
                    format!(
                        "„{}“",
                        crate::ui::text::truncate(&safe(o.display_body()), 60)
                    )
                }
                _ => format!("#{}", q.0),
            };
            writeln!(
                out,
                "{:18}↪ {} {quoted}",
                "",
                lang.t("Antwort auf", "reply to")
            )?;
        }
        // Continuation lines start under the text, not under the date.
        writeln!(
            out,
            "{when}  {who}: {}",
            sanitize_for_terminal(m.display_body(), true).replace('\n', &format!("\n{:18}", ""))
        )?;
        match (m.delivery, &m.failure) {
            (Delivery::Failed, Some(why)) => writeln!(
                out,
                "{:16}  ({}: {})",
                "",
                lang.t("nicht gesendet", "not sent"),
                safe(crate::domain::failure_text(why, lang == Lang::De))
            )?,
            (Delivery::Unclear, Some(why)) => writeln!(
                out,
                "{:16}  ({})",
                "",
                safe(crate::domain::failure_text(why, lang == Lang::De))
            )?,
            _ => {}
        }
        for (i, a) in m.attachments.iter().enumerate() {
            writeln!(
                out,
                "                  [{} {}/{}] {} ({}, {})",
                lang.t("Anhang", "attachment"),
                m.id.0,
                i + 1,
                safe(&a.name),
                safe(&a.mime),
                crate::ui::text::human_size_in(a.size, lang)
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A message's delivery in words, as `show` prints it after `>` and `send` reports it.
pub(crate) fn delivery_word(d: Delivery, lang: Lang) -> &'static str {
    match d {
        Delivery::Pending => lang.t("ausstehend", "pending"),
        Delivery::Sent => lang.t("gesendet", "sent"),
        Delivery::Delivered => lang.t("zugestellt", "delivered"),
        Delivery::Read => lang.t("gelesen", "read"),
        Delivery::Failed => lang.t("fehlgeschlagen", "failed"),
        Delivery::Unclear => lang.t("Zustellung unklar", "unclear"),
    }
}

/// A conversation's state in one word, for the `list` table.
fn short_state(state: crate::domain::TriageState, lang: Lang) -> &'static str {
    use crate::domain::TriageState;
    match state {
        TriageState::Open => lang.t("offen", "open"),
        TriageState::Waiting | TriageState::FollowUp(_) => lang.t("wartet", "waiting"),
        TriageState::Snoozed(_) => lang.t("zurückgestellt", "snoozed"),
        TriageState::Done => lang.t("erledigt", "done"),
    }
}
