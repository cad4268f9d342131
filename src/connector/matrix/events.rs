//! Matrix room events (as JSON) to tresen's connector events.
//!
//! Works on the raw JSON rather than ruma's typed events so that an event of an unknown
//! or malformed shape is skipped with a log line instead of failing a whole sync.

use serde_json::Value;

use crate::connector::ConnectorEvent;
use crate::domain::{AccountId, Attachment, Direction, IncomingMessage, MessageKind, Timestamp};

pub struct Context<'a> {
    pub account: &'a AccountId,
    pub room_id: &'a str,
    pub own_user: &'a str,
    /// Display name of a member, if known.
    pub name_of: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

fn text(v: &Value) -> Option<&str> {
    v.as_str()
}

/// A body for display: formatted bodies are not rendered; `body` is the plain fallback
/// every Matrix client must send. Reply fallbacks (`> <@user> …` quote lines before the
/// reply) are dropped; the reply relation itself is kept in the text as a short marker.
fn plain_body(content: &Value) -> String {
    let body = text(&content["body"]).unwrap_or_default();
    let is_reply = content["m.relates_to"]["m.in_reply_to"]["event_id"].is_string();
    if is_reply && body.starts_with("> ") {
        let rest: Vec<&str> = body
            .lines()
            .skip_while(|l| l.starts_with("> ") || *l == ">")
            .skip_while(|l| l.is_empty())
            .collect();
        return format!("↪ {}", rest.join("\n"));
    }
    body.to_string()
}

fn attachment(content: &Value, default_mime: &str) -> Attachment {
    let info = &content["info"];
    Attachment {
        name: text(&content["filename"])
            .or_else(|| text(&content["body"]))
            .unwrap_or("attachment")
            .to_string(),
        mime: text(&info["mimetype"]).unwrap_or(default_mime).to_string(),
        size: info["size"].as_u64().unwrap_or(0),
        source: media_source(content),
        blob: None,
    }
}

/// A media event's text: when `filename` is set and differs from `body`, the body is a
/// caption the sender wrote (Matrix 1.10); otherwise it is only the file name.
fn caption(content: &Value) -> String {
    match text(&content["filename"]) {
        Some(f) if text(&content["body"]).is_some_and(|b| b != f) => plain_body(content),
        _ => String::new(),
    }
}

/// Where the bytes are: `url` (an mxc URI, unencrypted rooms) or `file` (an encrypted
/// file with its key). Kept as the JSON of that one field; the connector reads it back
/// when the office opens the attachment.
fn media_source(content: &Value) -> Option<String> {
    if content["file"]["url"].is_string() {
        Some(serde_json::json!({ "file": content["file"] }).to_string())
    } else {
        text(&content["url"]).map(|u| serde_json::json!({ "url": u }).to_string())
    }
}

/// Translates one timeline event. `None` for events tresen does not show (state it
/// has read elsewhere, typing (ephemeral, handled by the sync loop), unknown types).
pub fn translate(ev: &Value, cx: &Context<'_>) -> Option<ConnectorEvent> {
    let kind = text(&ev["type"])?;
    let event_id = text(&ev["event_id"])?;
    let sender = text(&ev["sender"])?;
    let at = Timestamp(
        ev["origin_server_ts"]
            .as_i64()
            .unwrap_or_else(|| Timestamp::now().0),
    );
    let content = &ev["content"];
    let direction = if sender == cx.own_user {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    let sender_name = (cx.name_of)(sender).unwrap_or_else(|| sender.to_string());
    let message = |kind: MessageKind, body: String, attachments: Vec<Attachment>| {
        ConnectorEvent::Message(IncomingMessage {
            account: cx.account.clone(),
            conversation_remote_id: cx.room_id.to_string(),
            remote_id: event_id.to_string(),
            kind,
            direction,
            sender: sender_name.clone(),
            body,
            attachments,
            sent_at: at,
            received_at: Timestamp::now(),
            raw: Some(ev.to_string()),
            history: false,
        })
    };
    match kind {
        "m.room.message" => {
            let rel = &content["m.relates_to"];
            if text(&rel["rel_type"]) == Some("m.replace") {
                let target = text(&rel["event_id"])?;
                let new = &content["m.new_content"];
                let body = text(&new["body"])
                    .or_else(|| text(&content["body"]).map(|b| b.trim_start_matches("* ")))?;
                return Some(ConnectorEvent::Edited {
                    remote_id: target.to_string(),
                    body: body.to_string(),
                    at,
                });
            }
            let msgtype = text(&content["msgtype"]).unwrap_or("m.text");
            let (body, attachments) = match msgtype {
                "m.emote" => (format!("* {sender_name} {}", plain_body(content)), vec![]),
                "m.image" => (caption(content), vec![attachment(content, "image/*")]),
                "m.file" => (
                    caption(content),
                    vec![attachment(content, "application/octet-stream")],
                ),
                "m.audio" => (caption(content), vec![attachment(content, "audio/*")]),
                "m.video" => (caption(content), vec![attachment(content, "video/*")]),
                "m.location" => (
                    format!(
                        "📍 {} {}",
                        plain_body(content),
                        text(&content["geo_uri"]).unwrap_or_default()
                    ),
                    vec![],
                ),
                // m.text, m.notice and anything newer: the plain body is the fallback.
                _ => (plain_body(content), vec![]),
            };
            Some(message(MessageKind::Chat, body, attachments))
        }
        "m.reaction" => {
            let rel = &content["m.relates_to"];
            if text(&rel["rel_type"]) != Some("m.annotation") {
                return None;
            }
            Some(ConnectorEvent::Reaction {
                remote_id: event_id.to_string(),
                target: text(&rel["event_id"])?.to_string(),
                key: text(&rel["key"])?.to_string(),
                sender: sender_name.clone(),
                outbound: direction == Direction::Outbound,
                at,
            })
        }
        "m.room.redaction" => {
            let target = text(&ev["redacts"]).or_else(|| text(&content["redacts"]))?;
            Some(ConnectorEvent::Deleted {
                remote_id: target.to_string(),
                at,
            })
        }
        "m.room.encrypted" => Some(message(
            MessageKind::System,
            crate::domain::UNDECRYPTABLE.into(),
            vec![],
        )),
        "m.room.member" => {
            let target = text(&ev["state_key"])?;
            let who = (cx.name_of)(target)
                .or_else(|| text(&content["displayname"]).map(str::to_string))
                .unwrap_or_else(|| target.to_string());
            let prev = text(&ev["unsigned"]["prev_content"]["membership"]);
            let line = match (text(&content["membership"])?, prev) {
                ("join", Some("join")) => return None, // profile change
                ("join", _) => format!("→ {who} ist beigetreten / joined"),
                ("leave", Some("invite")) if target == sender => {
                    format!("← {who} hat die Einladung abgelehnt / declined")
                }
                ("leave", _) if target == sender => format!("← {who} hat verlassen / left"),
                ("leave", _) => format!("← {who} wurde entfernt / was removed"),
                ("invite", _) => format!("→ {who} wurde eingeladen / was invited"),
                ("ban", _) => format!("⊘ {who} wurde gesperrt / was banned"),
                _ => return None,
            };
            Some(message(MessageKind::System, line, vec![]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cx<'a>(account: &'a AccountId) -> Context<'a> {
        Context {
            account,
            room_id: "!r",
            own_user: "@buero:localhost",
            name_of: &|u| (u == "@whatsapp_49:localhost").then(|| "Max".to_string()),
        }
    }

    #[test]
    fn text_from_the_customer_is_inbound_with_their_name() {
        let a = AccountId("m".into());
        let ev = json!({"type":"m.room.message","event_id":"$1","sender":"@whatsapp_49:localhost",
            "origin_server_ts": 1700000000000i64, "content":{"msgtype":"m.text","body":"Hallo"}});
        let Some(ConnectorEvent::Message(m)) = translate(&ev, &cx(&a)) else {
            panic!()
        };
        assert_eq!(
            (m.direction, m.sender.as_str(), m.body.as_str()),
            (Direction::Inbound, "Max", "Hallo")
        );
        assert_eq!(m.sent_at, Timestamp(1700000000000));
        let own = json!({"type":"m.room.message","event_id":"$2","sender":"@buero:localhost",
            "content":{"msgtype":"m.notice","body":"Termin steht"}});
        let Some(ConnectorEvent::Message(m)) = translate(&own, &cx(&a)) else {
            panic!()
        };
        assert_eq!(m.direction, Direction::Outbound);
    }

    #[test]
    fn edits_redactions_and_undecryptable_events() {
        let a = AccountId("m".into());
        let edit = json!({"type":"m.room.message","event_id":"$3","sender":"@x:l",
            "content":{"msgtype":"m.text","body":"* neu",
              "m.new_content":{"msgtype":"m.text","body":"neu"},
              "m.relates_to":{"rel_type":"m.replace","event_id":"$1"}}});
        assert!(matches!(translate(&edit, &cx(&a)),
            Some(ConnectorEvent::Edited { remote_id, body, .. }) if remote_id == "$1" && body == "neu"));
        let redact = json!({"type":"m.room.redaction","event_id":"$4","sender":"@x:l","redacts":"$1","content":{}});
        assert!(matches!(translate(&redact, &cx(&a)),
            Some(ConnectorEvent::Deleted { remote_id, .. }) if remote_id == "$1"));
        let utd = json!({"type":"m.room.encrypted","event_id":"$5","sender":"@x:l","content":{"algorithm":"m.megolm.v1.aes-sha2"}});
        assert!(matches!(translate(&utd, &cx(&a)),
            Some(ConnectorEvent::Message(m)) if m.kind == MessageKind::System));
    }

    #[test]
    fn a_caption_becomes_the_body_and_encrypted_files_keep_their_key() {
        let a = AccountId("m".into());
        let file = json!({"url":"mxc://l/enc","key":{"k":"secret","alg":"A256CTR"},"iv":"x","hashes":{"sha256":"y"},"v":"v2"});
        let ev = json!({"type":"m.room.message","event_id":"$8","sender":"@x:l",
            "content":{"msgtype":"m.file","body":"Angebot anbei","filename":"angebot.pdf","file":file}});
        let Some(ConnectorEvent::Message(m)) = translate(&ev, &cx(&a)) else {
            panic!()
        };
        assert_eq!(m.body, "Angebot anbei");
        assert_eq!(m.attachments[0].name, "angebot.pdf");
        let source: Value =
            serde_json::from_str(m.attachments[0].source.as_deref().unwrap()).unwrap();
        assert_eq!(source["file"]["key"]["k"], "secret");
    }

    #[test]
    fn reactions_name_their_target_and_who_reacted() {
        let a = AccountId("m".into());
        let ev = json!({"type":"m.reaction","event_id":"$r","sender":"@whatsapp_49:localhost",
            "content":{"m.relates_to":{"rel_type":"m.annotation","event_id":"$1","key":"👍"}}});
        assert!(matches!(translate(&ev, &cx(&a)),
            Some(ConnectorEvent::Reaction { remote_id, target, key, sender, outbound: false, .. })
                if remote_id == "$r" && target == "$1" && key == "👍" && sender == "Max"));
        let odd = json!({"type":"m.reaction","event_id":"$r","sender":"@x:l",
            "content":{"m.relates_to":{"rel_type":"m.reference","event_id":"$1"}}});
        assert!(translate(&odd, &cx(&a)).is_none());
    }

    #[test]
    fn malformed_events_are_skipped() {
        let a = AccountId("m".into());
        for ev in [
            json!({}),
            json!({"type":"m.room.message"}),
            json!({"type":5,"event_id":"$1","sender":"@x:l"}),
            json!({"type":"m.room.message","event_id":"$1","sender":"@x:l","content":{"m.relates_to":{"rel_type":"m.replace"}}}),
        ] {
            assert!(translate(&ev, &cx(&a)).is_none(), "{ev}");
        }
    }

    #[test]
    fn reply_fallback_is_dropped_and_images_become_attachments() {
        let a = AccountId("m".into());
        let reply = json!({"type":"m.room.message","event_id":"$6","sender":"@x:l",
            "content":{"msgtype":"m.text","body":"> <@a:l> alt\n\nneu",
              "m.relates_to":{"m.in_reply_to":{"event_id":"$1"}}}});
        let Some(ConnectorEvent::Message(m)) = translate(&reply, &cx(&a)) else {
            panic!()
        };
        assert_eq!(m.body, "↪ neu");
        let img = json!({"type":"m.room.message","event_id":"$7","sender":"@x:l",
            "content":{"msgtype":"m.image","body":"heizung.jpg","url":"mxc://localhost/abc","info":{"mimetype":"image/jpeg","size":1234}}});
        let Some(ConnectorEvent::Message(m)) = translate(&img, &cx(&a)) else {
            panic!()
        };
        assert_eq!(m.body, "");
        assert_eq!(
            m.attachments,
            vec![Attachment {
                name: "heizung.jpg".into(),
                mime: "image/jpeg".into(),
                size: 1234,
                source: Some(r#"{"url":"mxc://localhost/abc"}"#.into()),
                blob: None,
            }]
        );
    }
}
