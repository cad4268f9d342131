//! signal-cli JSON-RPC frames: every example of the reference
//! (`signal-cli-jsonrpc-examples.md`: the man page's, frames captured from the real
//! signal-cli 0.13.19, and ones built from its source) parsed into tresen's events, and
//! tresen's requests serialised as signal-cli expects. Issue 4.

use serde_json::{Value, json};
use tresen::connector::ConnectorEvent;
use tresen::connector::signal::frames::{
    self, Frame, FrameError, MAX_FRAME, RpcError, group_key, message_key, received,
};
use tresen::domain::{
    AccountId, ConversationKind, Delivery, Direction, IncomingMessage, MessageKind, UNDECRYPTABLE,
};

const OWN: &str = "+493012345678";

fn account() -> AccountId {
    AccountId("signal-buero".into())
}

fn events(line: &str) -> Vec<ConnectorEvent> {
    let Frame::Notification { method, params } = frames::parse(line).unwrap() else {
        panic!("not a notification: {line}")
    };
    assert_eq!(method, "receive");
    let r = received(&params).expect("an envelope");
    frames::translate(&account(), &mut frames::Peers::new(OWN), &r)
}

/// The events that are not about learning who is who.
fn without_renames(ev: Vec<ConnectorEvent>) -> Vec<ConnectorEvent> {
    ev.into_iter()
        .filter(|e| !matches!(e, ConnectorEvent::Renamed { .. }))
        .collect()
}

fn conversation(ev: &[ConnectorEvent]) -> &tresen::domain::ConversationUpsert {
    ev.iter()
        .find_map(|e| match e {
            ConnectorEvent::Conversation(c) => Some(c),
            _ => None,
        })
        .expect("a conversation")
}

fn only_message(ev: &[ConnectorEvent]) -> &IncomingMessage {
    let msgs: Vec<&IncomingMessage> = ev
        .iter()
        .filter_map(|e| match e {
            ConnectorEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(msgs.len(), 1, "{ev:#?}");
    msgs[0]
}

#[test]
fn man_page_a1_incoming_message_in_automatic_mode() {
    let ev = events(
        r#"{"jsonrpc":"2.0","method":"receive","params":{"envelope":{"source":"+33123456789","sourceNumber":"+33123456789","sourceUuid":"uuid","sourceName":"name","sourceDevice":1,"timestamp":1631458508784,"dataMessage":{"timestamp":1631458508784,"message":"foobar","expiresInSeconds":0,"viewOnce":false,"mentions":[],"attachments":[],"contacts":[]}}}}"#,
    );
    let m = only_message(&ev);
    assert_eq!(m.body, "foobar");
    // R-B1: the envelope as signal-cli delivered it travels with the message to the archive.
    let raw: Value = serde_json::from_str(m.raw.as_deref().unwrap()).unwrap();
    assert_eq!(raw["timestamp"], 1631458508784i64);
    assert_eq!(raw["dataMessage"]["message"], "foobar");
    assert_eq!(m.direction, Direction::Inbound);
    // Keyed by the account id (issue 14), the number kept beside it for staff.
    assert_eq!(m.conversation_remote_id, "uuid");
    assert_eq!(m.remote_id, message_key("uuid", 1631458508784));
    assert!(m.attachments.is_empty());
    let c = conversation(&ev);
    assert_eq!(
        (c.kind, c.title.as_str()),
        (ConversationKind::Direct, "name")
    );
    let ct = c.contact.as_ref().unwrap();
    assert_eq!(
        (ct.identity.as_str(), ct.phone.as_deref()),
        ("uuid", Some("+33123456789"))
    );
    // What was stored under the number moves to the account id.
    assert_eq!(
        ev[0],
        ConnectorEvent::Renamed {
            from: "+33123456789".into(),
            to: "uuid".into()
        }
    );
}

#[test]
fn man_page_a2_subscription_and_a_message_sent_from_the_phone() {
    assert_eq!(
        frames::parse(r#"{"jsonrpc":"2.0","result":0,"id":"id"}"#).unwrap(),
        Frame::Reply {
            id: json!("id"),
            outcome: Ok(json!(0))
        }
    );
    let ev = events(
        r#"{"jsonrpc":"2.0","method":"receive","params":{"subscription":0,"result":{"envelope":{"source":"+33123456789","sourceNumber":"+33123456789","sourceUuid":"uuid","sourceName":"name","sourceDevice":2,"timestamp":1693064367769,"syncMessage":{"sentMessage":{"destination":"+33123456789","destinationNumber":"+33123456789","destinationUuid":"uuid","timestamp":1693064367769,"message":"j","expiresInSeconds":0,"viewOnce":false}}},"account":"+33123456789"}}}"#,
    );
    let m = only_message(&ev);
    assert_eq!((m.body.as_str(), m.direction), ("j", Direction::Outbound));
    assert_eq!(m.conversation_remote_id, "uuid");
}

#[test]
fn our_requests_are_what_signal_cli_expects() {
    let sent: Value = serde_json::from_str(&frames::request(
        4,
        "send",
        json!({"recipient": ["+YYY"], "message": "MESSAGE"}),
    ))
    .unwrap();
    let man: Value = serde_json::from_str(
        r#"{"jsonrpc":"2.0","method":"send","params":{"recipient":["+YYY"],"message":"MESSAGE"},"id":4}"#,
    )
    .unwrap();
    assert_eq!(sent, man);
    let bare: Value =
        serde_json::from_str(&frames::request(2, "listAccounts", Value::Null)).unwrap();
    assert_eq!(
        bare,
        json!({"jsonrpc": "2.0", "method": "listAccounts", "id": 2})
    );
    assert!(
        !frames::request(1, "version", Value::Null).contains('\n'),
        "one line per frame"
    );
}

#[test]
fn replies_captured_from_signal_cli_0_13_19_out_of_order() {
    let lines = [
        r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Specified account does not exist","data":null},"id":"sub2"}"#,
        r#"{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not implemented","data":null},"id":"ne"}"#,
        r#"{"jsonrpc":"2.0","result":0,"id":"sub"}"#,
        r#"{"jsonrpc":"2.0","result":{"version":"0.13.19"},"id":"v"}"#,
        r#"{"jsonrpc":"2.0","result":[],"id":"la"}"#,
        r#"{"jsonrpc":"2.0","error":{"code":-3,"message":"Link request error: Connection closed!","data":null},"id":"sl"}"#,
        r#"{"jsonrpc":"2.0","result":{"version":"0.13.19"},"id":1}"#,
    ];
    let parsed: Vec<Frame> = lines.iter().map(|l| frames::parse(l).unwrap()).collect();
    let by_id = |id: Value| {
        parsed
            .iter()
            .find_map(|f| match f {
                Frame::Reply { id: i, outcome } if *i == id => Some(outcome.clone()),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(by_id(json!("v")), Ok(json!({"version": "0.13.19"})));
    assert_eq!(
        by_id(json!(1)),
        Ok(json!({"version": "0.13.19"})),
        "numeric ids too"
    );
    assert_eq!(by_id(json!("la")), Ok(json!([])));
    let err = by_id(json!("sl")).unwrap_err();
    assert_eq!(err.code, -3);
    assert!(
        err.explain().contains("could not be reached"),
        "{}",
        err.explain()
    );
    assert_eq!(by_id(json!("ne")).unwrap_err().code, -32601);
    assert!(
        by_id(json!("ne"))
            .unwrap_err()
            .explain()
            .contains("update signal-cli")
    );
    assert_eq!(by_id(json!("sub2")).unwrap_err().code, -32602);
}

#[test]
fn the_error_to_a_frame_without_method_has_a_null_id() {
    assert_eq!(
        frames::parse(
            r#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"method field must be set","data":null},"id":null}"#
        )
        .unwrap(),
        Frame::Reply {
            id: Value::Null,
            outcome: Err(RpcError {
                code: -32600,
                message: "method field must be set".into()
            })
        }
    );
}

#[test]
fn d1_group_message_with_a_photo() {
    let ev = events(
        r#"{"jsonrpc":"2.0","method":"receive","params":{"account":"+493012345678","envelope":{"source":"+4915112345678","sourceNumber":"+4915112345678","sourceUuid":"7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":1767225600000,"serverReceivedTimestamp":1767225600120,"serverDeliveredTimestamp":1767225600450,"dataMessage":{"timestamp":1767225600000,"message":"Anbei das Foto vom Schaden","expiresInSeconds":0,"viewOnce":false,"attachments":[{"contentType":"image/jpeg","filename":"schaden.jpg","id":"Xk3vQ9aPz0LmN2rT4uWy.jpg","size":48213,"width":1024,"height":768,"caption":null,"uploadTimestamp":1767225599000}],"groupInfo":{"groupId":"q8mJ3vX0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r=","groupName":"Werkstatt","revision":3,"type":"DELIVER"}}}}}"#,
    );
    let group = group_key("q8mJ3vX0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r=");
    let c = conversation(&ev);
    assert!(c.remote_id == group && c.kind == ConversationKind::Group && c.title == "Werkstatt");
    let m = only_message(&ev);
    assert_eq!(m.conversation_remote_id, group);
    assert_eq!(m.sender, "Anna Kundin");
    let a = &m.attachments[0];
    assert_eq!(
        (a.name.as_str(), a.mime.as_str(), a.size),
        ("schaden.jpg", "image/jpeg", 48213)
    );
    let source: Value = serde_json::from_str(a.source.as_deref().unwrap()).unwrap();
    assert_eq!(
        source,
        json!({"id": "Xk3vQ9aPz0LmN2rT4uWy.jpg", "groupId": "q8mJ3vX0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r="}),
        "what getAttachment needs"
    );
}

#[test]
fn d2_a_message_sent_on_the_business_phone_is_outgoing() {
    let ev = events(
        r#"{"jsonrpc":"2.0","method":"receive","params":{"subscription":0,"result":{"account":"+493012345678","envelope":{"source":"+493012345678","sourceNumber":"+493012345678","sourceUuid":"11111111-2222-3333-4444-555555555555","sourceName":null,"sourceDevice":1,"timestamp":1767225700000,"serverReceivedTimestamp":1767225700100,"serverDeliveredTimestamp":1767225700200,"syncMessage":{"sentMessage":{"destination":"+4915112345678","destinationNumber":"+4915112345678","destinationUuid":"7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f","timestamp":1767225700000,"message":"Danke, wir melden uns morgen.","expiresInSeconds":0,"viewOnce":false}}}}}}"#,
    );
    let m = only_message(&ev);
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(
        m.conversation_remote_id,
        "7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f"
    );
    // The key receipts for it will use: our number and the sent timestamp.
    assert_eq!(m.remote_id, message_key(OWN, 1767225700000));
    // Our own phone names no customer: the conversation keeps its name (issue 14).
    let c = conversation(&ev);
    assert_eq!(c.title, "", "{c:?}");
    assert_eq!(c.contact.as_ref().unwrap().display_name, "");
    assert_eq!(m.sender, "");
}

#[test]
fn d3_receipts_from_a_uuid_only_sender_and_typing() {
    let ev = events(
        r#"{"jsonrpc":"2.0","method":"receive","params":{"account":"+493012345678","envelope":{"source":"7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f","sourceNumber":null,"sourceUuid":"7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":1767225710000,"serverReceivedTimestamp":0,"serverDeliveredTimestamp":0,"receiptMessage":{"when":1767225710000,"isDelivery":true,"isRead":false,"isViewed":false,"timestamps":[1767225700000]}}}}"#,
    );
    assert_eq!(
        ev,
        vec![ConnectorEvent::Receipt {
            remote_id: message_key(OWN, 1767225700000),
            delivery: Delivery::Delivered
        }]
    );
    let ev = events(
        r#"{"jsonrpc":"2.0","method":"receive","params":{"account":"+493012345678","envelope":{"source":"+4915112345678","sourceNumber":"+4915112345678","sourceUuid":"7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":1767225720000,"serverReceivedTimestamp":1767225720050,"serverDeliveredTimestamp":1767225720060,"typingMessage":{"action":"STARTED","timestamp":1767225720000}}}}"#,
    );
    assert_eq!(
        without_renames(ev),
        vec![ConnectorEvent::Typing {
            conversation_remote_id: "7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f".into(),
            names: vec!["Anna Kundin".into()]
        }]
    );
}

#[test]
fn d4_an_undecryptable_message_becomes_a_system_line_not_nothing() {
    let ev = events(
        r#"{"jsonrpc":"2.0","method":"receive","params":{"account":"+493012345678","exception":{"message":"org.signal.libsignal.protocol.UntrustedIdentityException: Untrusted identity key!","type":"UntrustedIdentityException"},"envelope":{"source":"+4915112345678","sourceNumber":"+4915112345678","sourceUuid":"7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":1767225730000,"serverReceivedTimestamp":1767225730010,"serverDeliveredTimestamp":1767225730020}}}"#,
    );
    let m = only_message(&ev);
    assert_eq!(
        (m.kind, m.body.as_str()),
        (MessageKind::System, UNDECRYPTABLE)
    );
    assert_eq!(
        m.conversation_remote_id,
        "7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f"
    );
}

#[test]
fn d5_the_send_result() {
    let f = frames::parse(
        r#"{"jsonrpc":"2.0","result":{"timestamp":1767225800000,"results":[{"recipientAddress":{"uuid":"7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f","number":"+4915112345678","username":null},"type":"SUCCESS"}]},"id":"c7a0"}"#,
    )
    .unwrap();
    let Frame::Reply { id, outcome: Ok(r) } = f else {
        panic!()
    };
    assert_eq!(id, json!("c7a0"));
    assert_eq!(r["timestamp"], 1767225800000i64);
}

/// Built from the field lists of the reference's section C.
#[test]
fn reactions_edits_deletions_and_quotes() {
    let env = |data: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"receive","params":{{"account":"{OWN}","envelope":{{"sourceNumber":"+4915112345678","sourceUuid":"u1","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":1767225900000,{data}}}}}}}"#
        )
    };
    let target = message_key(OWN, 1767225800000);
    let ev = without_renames(events(&env(&format!(
        r#""dataMessage":{{"timestamp":1767225900000,"reaction":{{"emoji":"👍","targetAuthor":"{OWN}","targetAuthorNumber":"{OWN}","targetAuthorUuid":"u0","targetSentTimestamp":1767225800000,"isRemove":false}}}}"#
    ))));
    let ConnectorEvent::Reaction {
        remote_id,
        target: t,
        key,
        sender,
        outbound,
        ..
    } = &ev[0]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (t, key.as_str(), sender.as_str(), *outbound),
        (&target, "👍", "Anna Kundin", false)
    );
    let removed = without_renames(events(&env(&format!(
        r#""dataMessage":{{"timestamp":1767225910000,"reaction":{{"emoji":"👍","targetAuthorNumber":"{OWN}","targetSentTimestamp":1767225800000,"isRemove":true}}}}"#
    ))));
    assert!(
        matches!(&removed[0], ConnectorEvent::Deleted { remote_id: r, .. } if r == remote_id),
        "removing the reaction names the same reaction"
    );
    let del = without_renames(events(&env(
        r#""dataMessage":{"timestamp":1767225920000,"remoteDelete":{"timestamp":1767225600000}}"#,
    )));
    assert!(matches!(&del[0], ConnectorEvent::Deleted { remote_id, .. }
        if *remote_id == message_key("u1", 1767225600000)));
    let edit = without_renames(events(&env(
        r#""editMessage":{"targetSentTimestamp":1767225600000,"dataMessage":{"timestamp":1767225930000,"message":"um 10 Uhr"}}"#,
    )));
    assert!(
        matches!(&edit[0], ConnectorEvent::Edited { remote_id, body, .. }
        if *remote_id == message_key("u1", 1767225600000) && body == "um 10 Uhr")
    );
    let quote = events(&env(&format!(
        r#""dataMessage":{{"timestamp":1767225940000,"message":"Passt!","quote":{{"id":1767225800000,"authorNumber":"{OWN}","text":"Termin Dienstag","attachments":[]}}}}"#
    )));
    assert_eq!(only_message(&quote).body, "↪ Passt!");
}

#[test]
fn malformed_and_huge_frames_are_errors_never_panics() {
    assert!(matches!(
        frames::parse("not json"),
        Err(FrameError::NotJson(_))
    ));
    assert!(matches!(
        frames::parse("{\"jsonrpc\":\"1.0\",\"result\":1,\"id\":1}"),
        Err(FrameError::NotJsonRpc(_))
    ));
    assert!(matches!(
        frames::parse("{\"jsonrpc\":\"2.0\",\"id\":1}"),
        Err(FrameError::NotJsonRpc(_))
    ));
    assert!(matches!(
        frames::parse("{\"jsonrpc\":\"2.0\"}"),
        Err(FrameError::NotJsonRpc(_))
    ));
    assert!(matches!(
        frames::parse("[1,2,3]"),
        Err(FrameError::NotJsonRpc(_))
    ));
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"method\":\"receive\",\"params\":\"{}\"}}",
        "x".repeat(MAX_FRAME)
    );
    assert!(matches!(frames::parse(&huge), Err(FrameError::TooLarge(_))));
    // Odd envelopes: nothing, rather than a crash or an invented message.
    for params in [
        json!({}),
        json!({"envelope": 5}),
        json!({"subscription": 0}),
        json!({"subscription": 0, "result": {"envelope": {"timestamp": 1}}}),
    ] {
        if let Some(r) = received(&params) {
            assert!(
                frames::translate(&account(), &mut frames::Peers::new(OWN), &r).is_empty(),
                "{params}"
            );
        }
    }
    // A data message without text or files (profile key update, timer change) is not a message.
    let ev = without_renames(events(
        r#"{"jsonrpc":"2.0","method":"receive","params":{"envelope":{"sourceNumber":"+49151","sourceUuid":"u","timestamp":1,"dataMessage":{"timestamp":1,"expiresInSeconds":604800,"isExpirationUpdate":true}}}}"#,
    ));
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn send_parameters_for_people_groups_quotes_and_long_texts() {
    let p = frames::send_params(OWN, "+4915112345678", "Hallo", vec![], None);
    assert_eq!(
        p,
        json!({"account": OWN, "recipient": ["+4915112345678"], "message": "Hallo"})
    );
    let p = frames::send_params(
        OWN,
        &group_key("q8mJ3vX0a1b2="),
        "Termin steht",
        vec!["/var/lib/tresen/outbox/kva.pdf".into()],
        Some(("+4915112345678", 1767225600000)),
    );
    assert_eq!(p["groupId"], "q8mJ3vX0a1b2=");
    assert!(p.get("recipient").is_none());
    assert_eq!(p["attachment"], json!(["/var/lib/tresen/outbox/kva.pdf"]));
    assert_eq!(
        (p["quoteAuthor"].clone(), p["quoteTimestamp"].clone()),
        (json!("+4915112345678"), json!(1767225600000i64))
    );
}

#[test]
fn a_body_over_2_kib_is_never_cut_off() {
    use base64::Engine as _;
    // Multi-byte characters right at the limit must not be split.
    let body: String = "Angebot für Heizungstausch – Position ÄÖÜ € ".repeat(80);
    assert!(body.len() > frames::INLINE_LIMIT);
    let p = frames::send_params(
        OWN,
        "+4915112345678",
        &body,
        vec!["/tmp/plan.pdf".into()],
        None,
    );
    let inline = p["message"].as_str().unwrap();
    assert!(inline.len() <= frames::INLINE_LIMIT);
    assert!(body.starts_with(inline));
    let files = p["attachment"].as_array().unwrap();
    assert_eq!(files.len(), 2, "the long text plus the file");
    let uri = files[0].as_str().unwrap();
    let data = uri
        .strip_prefix("data:text/x-signal-plain;filename=nachricht.txt;base64,")
        .expect("a text/x-signal-plain data URI");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        body,
        "the whole text, not only the rest"
    );
    assert_eq!(files[1], "/tmp/plan.pdf");
}

#[test]
fn list_identities_trust_levels_become_conversation_security() {
    use tresen::connector::signal::frames::identities;
    use tresen::domain::Security;
    // ListIdentitiesCommand.JsonIdentity, in record order; a UUID-only peer has no number.
    let v: serde_json::Value = serde_json::from_str(
        r#"[{"number":"+4915112345678","uuid":"7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f","fingerprint":"05ab","safetyNumber":"12345 67890 12345 67890 12345 67890 12345 67890 12345 67890 12345 67890","scannableSafetyNumber":"CiIK","trustLevel":"TRUSTED_VERIFIED","addedTimestamp":1767225000000},
            {"number":null,"uuid":"9e8f0a1b-2c3d-4e5f-7d3c-1f0e2b4a4c5d","fingerprint":"05cd","safetyNumber":"x","scannableSafetyNumber":null,"trustLevel":"UNTRUSTED","addedTimestamp":1767225000000},
            {"number":"+4917000000000","uuid":null,"fingerprint":"05ef","safetyNumber":"y","scannableSafetyNumber":null,"trustLevel":"TRUSTED_UNVERIFIED","addedTimestamp":1767225000000},
            {"number":"+4917000000001","uuid":null,"trustLevel":"SOMETHING_NEW"}]"#,
    )
    .unwrap();
    assert_eq!(
        identities(&v),
        [
            ("+4915112345678".to_string(), Security::Verified),
            (
                "7d3c1f0e-2b4a-4c5d-9e8f-0a1b2c3d4e5f".to_string(),
                Security::Verified
            ),
            (
                "9e8f0a1b-2c3d-4e5f-7d3c-1f0e2b4a4c5d".to_string(),
                Security::IdentityChanged
            ),
            ("+4917000000000".to_string(), Security::Encrypted),
        ]
    );
}

#[test]
fn undecided_groups_wait_in_memory_bounded_and_a_choice_is_remembered() {
    use tresen::connector::signal::groups::{GroupChoice, MAX_HELD, Triage};
    let line = |ts: i64, text: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"receive","params":{{"account":"+493012345678","envelope":{{"sourceNumber":"+4915112345678","sourceUuid":"u1","sourceName":"Anna","sourceDevice":1,"timestamp":{ts},"dataMessage":{{"timestamp":{ts},"message":"{text}","groupInfo":{{"groupId":"g1=","groupName":"Baustelle","type":"DELIVER"}}}}}}}}}}"#
        )
    };
    let mut choice = GroupChoice::new(&["configured=".to_string()], None);
    assert!(choice.is_business("configured="));
    let mut invites = 0;
    for i in 0..(MAX_HELD as i64 + 50) {
        for ev in without_renames(events(&line(
            1_767_225_600_000 + i,
            &format!("Nachricht {i}"),
        ))) {
            match choice.triage(ev) {
                Triage::Held(Some(inv)) => {
                    invites += 1;
                    assert_eq!(inv.remote_id, "group:g1=");
                    assert_eq!(inv.title, "Baustelle");
                }
                Triage::Held(None) => {}
                other => panic!("an undecided group's event passed: {other:?}"),
            }
        }
    }
    assert_eq!(invites, 1, "asked once per group");
    assert!(
        choice.choose("+4915112345678").is_none(),
        "only groups are chosen"
    );
    let (held, position) = choice.choose("group:g1=").unwrap();
    // Bounded: the group once, then the newest messages.
    assert_eq!(held.len(), MAX_HELD + 1);
    assert!(matches!(&held[0], ConnectorEvent::Conversation(c) if c.remote_id == "group:g1="));
    assert!(matches!(&held[1], ConnectorEvent::Message(m) if m.body == "Nachricht 50"));
    assert!(matches!(held.last(), Some(ConnectorEvent::Message(m)) if m.body == "Nachricht 249"));
    // The choice survives a restart through the stored position.
    let again = GroupChoice::new(&[], Some(&position));
    assert!(again.is_business("g1="));
    assert!(!again.is_business("configured="));
    // A position from before this feature (or damaged) means: config groups only.
    assert!(!GroupChoice::new(&[], Some("not json")).is_business("g1="));
}

#[test]
fn a_group_chosen_in_the_tui_can_be_forgotten_but_not_a_configured_one() {
    use tresen::connector::signal::groups::{ForgetError, GroupChoice};
    let mut choice = GroupChoice::new(&["config=".to_string()], None);
    let (_, position) = choice.choose("group:tui=").unwrap();
    let mut again = GroupChoice::new(&["config=".to_string()], Some(&position));
    assert!(again.is_business("tui="));
    let position = again.forget("tui=").unwrap();
    assert!(!GroupChoice::new(&[], Some(&position)).is_business("tui="));
    assert_eq!(again.forget("tui="), Err(ForgetError::NotChosen));
    assert_eq!(again.forget("config="), Err(ForgetError::InConfig));
}
