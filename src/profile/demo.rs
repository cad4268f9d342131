//! The built-in demo profile: a heating and plumbing firm's business line with a few
//! hundred customer conversations on WhatsApp, Signal, Telegram and Matrix, driven by
//! the scripted connector so that writing gets answers.

use std::time::Duration;

use crate::connector::{Connector, ConnectorEvent, FakeConnector, ScriptStep};
use crate::domain::{
    AccountId, Attachment, Channel, Contact, ConversationKind, ConversationUpsert, Delivery,
    Direction, IncomingMessage, MessageKind, Security, Timestamp, TriageState,
};
use crate::store::{Op, Store, StoreError};

pub const MATRIX_ACCOUNT: &str = "matrix-buero";
pub const SIGNAL_ACCOUNT: &str = "signal-buero";

/// Small deterministic generator (xorshift): the demo looks the same on every start, and
/// benchmarks generate the same data on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

const FIRST: &[&str] = &[
    "Anna",
    "Bernd",
    "Claudia",
    "Dieter",
    "Elke",
    "Frank",
    "Gabi",
    "Hans",
    "Ingrid",
    "Jürgen",
    "Karin",
    "Lukas",
    "Monika",
    "Norbert",
    "Olga",
    "Peter",
    "Renate",
    "Stefan",
    "Tanja",
    "Uwe",
    "Vera",
    "Werner",
    "Yvonne",
    "Zeynep",
    "Murat",
    "Agnieszka",
    "Sven",
    "Heike",
    "Özlem",
    "Jens",
];
const LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Braun",
    "Zimmermann",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Köhler",
    "Yılmaz",
    "Kowalski",
    "Schäfer",
    "Vogel",
];
const STREETS: &[&str] = &[
    "Lindenstraße",
    "Bahnhofstraße",
    "Am Mühlbach",
    "Gartenweg",
    "Schulstraße",
    "Ahornweg",
    "Kirchplatz",
    "Bergstraße",
];

struct Topic {
    label: Option<&'static str>,
    opening: &'static [&'static str],
    answers: &'static [&'static str],
    followups: &'static [&'static str],
    photo: bool,
}

const TOPICS: &[Topic] = &[
    Topic {
        label: Some("notdienst"),
        opening: &[
            "Guten Morgen, unsere Heizung ist seit heute Nacht aus, Fehlercode F28. Können Sie heute noch kommen?",
            "Hallo, im Keller tropft es aus dem Rohr über der Waschmaschine! Was sollen wir tun?",
            "Die Therme zeigt Störung und wir haben kein Warmwasser. Kleines Kind im Haus.",
        ],
        answers: &[
            "Guten Morgen, das klingt nach Zündproblem. Unser Notdienst kann zwischen 13 und 15 Uhr bei Ihnen sein.",
            "Bitte drehen Sie den Haupthahn zu. Wir schicken sofort jemanden vorbei.",
            "Wir kommen heute noch. Bitte lassen Sie die Therme bis dahin ausgeschaltet.",
        ],
        followups: &[
            "Danke, wir sind zu Hause.",
            "Der Monteur war da, läuft wieder. Vielen Dank!",
            "Hier ein Foto vom Display.",
        ],
        photo: true,
    },
    Topic {
        label: Some("wartung"),
        opening: &[
            "Hallo, wir wollten die jährliche Wartung unserer Gasheizung machen lassen. Wann hätten Sie Zeit?",
            "Guten Tag, ist bei Ihnen noch ein Wartungstermin im nächsten Monat frei?",
            "Die Wartung ist wieder fällig, steht im Heft vom letzten Jahr.",
        ],
        answers: &[
            "Gern. Wir hätten Dienstag, 8–10 Uhr, oder Donnerstag, 14–16 Uhr.",
            "Vielen Dank! Wir tragen Sie für die KW 3 ein und melden uns mit der genauen Uhrzeit.",
        ],
        followups: &[
            "Dienstag passt gut.",
            "Donnerstag wäre uns lieber.",
            "Können Sie auch den Schornsteinfeger-Termin abstimmen?",
        ],
        photo: false,
    },
    Topic {
        label: Some("angebot"),
        opening: &[
            "Wir planen ein neues Bad im Obergeschoss. Können Sie uns ein Angebot machen?",
            "Was würde eine Wärmepumpe für ein Einfamilienhaus Baujahr 1978 ungefähr kosten?",
            "Guten Tag, wir brauchen ein Angebot für den Austausch von drei Heizkörpern.",
        ],
        answers: &[
            "Sehr gern. Für ein Angebot kommen wir zum Aufmaß vorbei – passt Ihnen Freitag Vormittag?",
            "Dafür schauen wir uns das Haus an. Schicken Sie uns gern vorab Fotos vom Heizraum.",
        ],
        followups: &[
            "Freitag ist gut, ab 9 Uhr ist jemand da.",
            "Fotos anbei.",
            "Gibt es dafür Förderung vom BAFA?",
        ],
        photo: true,
    },
    Topic {
        label: Some("rechnung"),
        opening: &[
            "Hallo, auf der Rechnung fehlt noch der Abzug für die Anzahlung.",
            "Können Sie mir die Rechnung bitte noch einmal als PDF schicken?",
        ],
        answers: &[
            "Danke für den Hinweis, die Buchhaltung korrigiert das und schickt Ihnen eine neue Rechnung.",
            "Gern, die Kollegin aus der Buchhaltung meldet sich per E-Mail bei Ihnen.",
        ],
        followups: &["Super, danke.", "Ist angekommen."],
        photo: false,
    },
    Topic {
        label: None,
        opening: &[
            "Kommt der Monteur morgen wie geplant?",
            "Wir sind ab 10 Uhr nicht mehr zu Hause, geht es früher?",
            "Der Wasserhahn in der Küche tropft seit gestern wieder.",
            "Brauchen Sie für den Termin Zugang zum Keller?",
        ],
        answers: &[
            "Ja, er ist zwischen 8 und 9 Uhr bei Ihnen.",
            "Wir versuchen, Sie als Ersten einzuplanen.",
            "Das schauen wir uns an, wenn wir ohnehin vor Ort sind.",
            "Ja, bitte den Keller zugänglich machen.",
        ],
        followups: &["Alles klar 👍", "Danke!", "Perfekt, bis dann."],
        photo: false,
    },
];

fn channel_for(rng: &mut Rng) -> Channel {
    match rng.below(100) {
        0..=54 => Channel::Whatsapp,
        55..=74 => Channel::Signal,
        75..=84 => Channel::Telegram,
        _ => Channel::Matrix,
    }
}

fn phone(rng: &mut Rng) -> String {
    let prefix = rng.pick(&["151", "152", "160", "170", "171", "176", "178"]);
    format!("+49 {prefix} {:07}", rng.next_u64() % 10_000_000)
}

/// Everything the demo store is filled with, as store operations.
pub fn seed_ops(conversations: usize, now: Timestamp) -> Vec<Op> {
    let mut rng = Rng(0x7265_7365_6e21_2026);
    let mut ops = Vec::new();
    let mut msg_no = 0u64;
    for n in 0..conversations {
        let channel = channel_for(&mut rng);
        let account = if channel == Channel::Signal {
            SIGNAL_ACCOUNT
        } else {
            MATRIX_ACCOUNT
        };
        let account = AccountId(account.into());
        let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
        let number = phone(&mut rng);
        let identity = match channel {
            Channel::Matrix => format!(
                "@{}:matrix.org",
                name.to_lowercase()
                    .replace(' ', ".")
                    .replace(['ü', 'ö', 'ä', 'ı', 'ß'], "_")
            ),
            Channel::Telegram => format!(
                "@{}",
                name.split(' ').next().unwrap_or("kunde").to_lowercase()
            ),
            _ => number.clone(),
        };
        let group = rng.chance(4);
        let title = if group {
            format!("Baustelle {} {}", rng.pick(STREETS), 1 + rng.below(80))
        } else {
            name.clone()
        };
        let remote = format!("demo-{n}");
        let security = match channel {
            Channel::Whatsapp | Channel::Telegram => Security::Bridged,
            _ if n == 7 => Security::IdentityChanged,
            _ if rng.chance(50) => Security::Verified,
            _ => Security::Encrypted,
        };
        ops.push(Op::UpsertConversation(ConversationUpsert {
            account: account.clone(),
            remote_id: remote.clone(),
            security,
            kind: if group {
                ConversationKind::Group
            } else {
                ConversationKind::Direct
            },
            channel,
            title,
            contact: Some(Contact {
                identity,
                display_name: name.clone(),
                phone: None,
            }),
        }));
        // Older conversations lie further back; the first few are from the last hours.
        let age_ms = if n < 15 {
            (n as i64 + 1) * 17 * Timestamp::MINUTE
        } else {
            Timestamp::HOUR * (2 + (n as i64 * 5) % (24 * 60))
        };
        let topic = rng.pick(TOPICS);
        let rounds = 1 + rng.below(6);
        let mut t = now.0 - age_ms - rounds as i64 * 5 * Timestamp::HOUR;
        let mut incoming =
            |ops: &mut Vec<Op>, dir: Direction, body: &str, t: i64, att: Vec<Attachment>| {
                msg_no += 1;
                let id = format!("demo-msg-{msg_no}");
                ops.push(Op::Incoming(IncomingMessage {
                    account: account.clone(),
                    conversation_remote_id: remote.clone(),
                    remote_id: id.clone(),
                    kind: MessageKind::Chat,
                    direction: dir,
                    sender: if dir == Direction::Outbound {
                        "Büro".into()
                    } else {
                        String::new()
                    },
                    body: body.into(),
                    attachments: att,
                    sent_at: Timestamp(t),
                    received_at: Timestamp(t + 800),
                    raw: None,
                    history: false,
                }));
                id
            };
        let opening = *rng.pick(topic.opening);
        incoming(&mut ops, Direction::Inbound, opening, t, vec![]);
        for r in 0..rounds {
            t += Timestamp::HOUR + (rng.below(90) as i64) * Timestamp::MINUTE;
            let last_round = r + 1 == rounds;
            if last_round && n < 15 {
                break; // recent conversations end with an unanswered customer message
            }
            let answer = *rng.pick(topic.answers);
            let id = incoming(&mut ops, Direction::Outbound, answer, t, vec![]);
            ops.push(Op::Receipt {
                account: account.clone(),
                remote_id: id.clone(),
                delivery: if rng.chance(80) {
                    Delivery::Read
                } else {
                    Delivery::Delivered
                },
            });
            t += Timestamp::HOUR / 2 + (rng.below(120) as i64) * Timestamp::MINUTE;
            let follow = *rng.pick(topic.followups);
            let att = if topic.photo && follow.contains("Foto") {
                vec![demo_photo(&format!("IMG_{}", 2000 + rng.below(8000)))]
            } else {
                vec![]
            };
            if !last_round || rng.chance(60) {
                incoming(&mut ops, Direction::Inbound, follow, t, att);
            }
        }
        let id = crate::domain::ConversationId(n as i64 + 1);
        if n < 15 {
            // Everything before the newest customer message has been read already.
            ops.push(Op::MarkRead { conversation: id });
            t = now.0 - age_ms;
            let body = if topic.photo && rng.chance(50) {
                "Hier noch ein Foto, damit Sie wissen, worum es geht."
            } else {
                "Können Sie sich bitte kurz melden?"
            };
            let att = if topic.photo {
                vec![demo_photo(&format!("IMG_{}", 2000 + rng.below(8000)))]
            } else {
                vec![]
            };
            incoming(&mut ops, Direction::Inbound, body, t, att);
        }
        if rng.chance(12) {
            ops.push(Op::AddNote {
                conversation: id,
                author: "Sabine (Büro)".into(),
                body: rng
                    .pick(&[
                        "Kunde ist Stammkunde seit 2009, Gerät: Vaillant ecoTEC plus.",
                        "Bitte nur vormittags anrufen. Hund im Haus!",
                        "Angebot an Chef zur Freigabe gegeben.",
                        "Schlüssel liegt beim Nachbarn (Hausnr. 12).",
                    ])
                    .to_string(),
                at: Timestamp(t + Timestamp::MINUTE),
            });
        }
        if let Some(label) = topic.label {
            ops.push(Op::SetLabels {
                conversation: id,
                labels: vec![label.into()],
            });
        }
        if n >= 15 {
            ops.push(Op::MarkRead { conversation: id });
            let state = match rng.below(10) {
                0..=4 => TriageState::Done,
                5..=6 => TriageState::Waiting,
                7 => TriageState::Snoozed(Timestamp(now.0 + 2 * Timestamp::DAY)),
                _ => TriageState::Open,
            };
            ops.push(Op::SetState {
                conversation: id,
                state,
            });
        }
    }
    ops
}

/// Fills an empty store with the demo inbox.
pub fn seed(store: &mut dyn Store, conversations: usize, now: Timestamp) -> Result<(), StoreError> {
    let ops = seed_ops(conversations, now);
    for chunk in ops.chunks(5000) {
        store.apply(chunk)?;
    }
    Ok(())
}

const REPLIES: &[&str] = &[
    "Danke für die schnelle Antwort!",
    "Alles klar, dann bis morgen.",
    "Super, das passt uns gut.",
    "Können Sie vorher kurz anrufen? 0170 1234567",
    "Vielen Dank, sehr freundlich!",
];

/// The demo's connectors: one bridged Matrix account, one Signal account. A new customer
/// message arrives a few seconds after start, so the live path is visible at once.
pub fn connectors(now: Timestamp) -> Vec<Box<dyn Connector>> {
    let live = IncomingMessage {
        account: AccountId(MATRIX_ACCOUNT.into()),
        conversation_remote_id: "demo-live".into(),
        remote_id: format!("demo-live-{}", now.0),
        kind: MessageKind::Chat,
        direction: Direction::Inbound,
        sender: String::new(),
        body: "Notfall! Wasser läuft aus dem Heizkessel, was sollen wir tun?".into(),
        attachments: vec![demo_photo("kessel")],
        sent_at: now,
        received_at: now,
        raw: None,
        history: false,
    };
    let matrix = FakeConnector::new(AccountId(MATRIX_ACCOUNT.into()))
        .with_script(vec![
            ScriptStep::Sleep(Duration::from_secs(4)),
            ScriptStep::Emit(ConnectorEvent::Conversation(ConversationUpsert {
                account: AccountId(MATRIX_ACCOUNT.into()),
                remote_id: "demo-live".into(),
                security: Security::Bridged,
                kind: ConversationKind::Direct,
                channel: Channel::Whatsapp,
                title: "Familie Aydın".into(),
                contact: Some(Contact {
                    identity: "+49 157 3141592".into(),
                    display_name: "Familie Aydın".into(),
                    phone: None,
                }),
            })),
            ScriptStep::Emit(ConnectorEvent::Message(IncomingMessage {
                sent_at: Timestamp::now(),
                ..live
            })),
        ])
        .with_replies(REPLIES.iter().map(|s| s.to_string()).collect())
        .with_receipt_delay(Duration::from_millis(1500))
        .failing_on("#fail");
    let signal = FakeConnector::new(AccountId(SIGNAL_ACCOUNT.into()))
        .with_replies(REPLIES.iter().rev().map(|s| s.to_string()).collect())
        .with_receipt_delay(Duration::from_millis(1200))
        .failing_on("#fail");
    vec![Box::new(matrix), Box::new(signal)]
}

/// A quiet scripted connector for `[[accounts]] network = "demo"`: it delivers a few
/// customer messages and then answers sends, so daemon and `sync --once` can be
/// exercised without a real network.
pub fn scripted_account(account: &str, now: Timestamp) -> Box<dyn Connector> {
    let acc = AccountId(account.into());
    let mut script = vec![ScriptStep::Emit(ConnectorEvent::Conversation(
        ConversationUpsert {
            account: acc.clone(),
            remote_id: format!("{account}-kunde-1"),
            security: Security::Verified,
            kind: ConversationKind::Direct,
            channel: Channel::Signal,
            title: "Erika Mustermann".into(),
            contact: Some(Contact {
                identity: "+49 170 5550123".into(),
                display_name: "Erika Mustermann".into(),
                phone: None,
            }),
        },
    ))];
    for (i, body) in [
        "Guten Tag, die Heizung ist kalt.",
        "Fehlercode F.28 im Display.",
    ]
    .iter()
    .enumerate()
    {
        script.push(ScriptStep::Emit(ConnectorEvent::Message(IncomingMessage {
            account: acc.clone(),
            conversation_remote_id: format!("{account}-kunde-1"),
            remote_id: format!("{account}-in-{i}"),
            kind: MessageKind::Chat,
            direction: Direction::Inbound,
            sender: String::new(),
            body: (*body).into(),
            attachments: vec![],
            sent_at: Timestamp(now.0 - 60_000 + i as i64 * 1000),
            received_at: now,
            raw: None,
            history: false,
        })));
    }
    Box::new(
        FakeConnector::new(acc)
            .with_script(script)
            .failing_on("#fail"),
    )
}

/// A demo "photo": a small SVG picture whose bytes travel in the source, so opening
/// and saving attachments works in the demo (the scripted connector serves
/// `inline:` sources).
fn demo_photo(n: &str) -> Attachment {
    let png = boiler_picture(
        n.bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31) ^ u32::from(b)),
    );
    Attachment {
        name: format!("{n}.png"),
        mime: "image/png".into(),
        size: png.len() as u64,
        source: Some(format!(
            "base64:{}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &png)
        )),
        blob: None,
    }
}

/// A customer's photo of their boiler, drawn: a wall, the white boiler, its display
/// showing an error in red (where on the wall varies with `seed`).
fn boiler_picture(seed: u32) -> Vec<u8> {
    let (w, h) = (320u32, 240u32);
    let shift = seed % 60;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let boiler = (90 + shift..230 + shift).contains(&x) && (30..220).contains(&y);
        let display = (120 + shift..200 + shift).contains(&x) && (60..95).contains(&y);
        let digits = display
            && (130 + shift..190 + shift).contains(&x)
            && (68..87).contains(&y)
            && (x / 6 + y / 6) % 2 == 0;
        let pipe =
            (140 + shift..150 + shift).contains(&x) || (170 + shift..180 + shift).contains(&x);
        let p = if digits {
            [230, 40, 30]
        } else if display {
            [30, 35, 40]
        } else if boiler {
            [240, 240, 236]
        } else if pipe && y >= 220 {
            [184, 115, 51]
        } else {
            // Wall tiles, a little shade towards the floor.
            let tile = if x % 40 == 0 || y % 40 == 0 { 20 } else { 0 };
            let shade = (y / 8) as u8;
            [205 - tile - shade, 210 - tile - shade, 200 - tile - shade]
        };
        image::Rgb(p)
    });
    let mut png = Vec::new();
    // Encoding a picture we drew ourselves cannot fail; an empty file would only
    // leave the demo without its preview.
    let _ = img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png);
    png
}

/// The demo's firm: a plumbing and heating GmbH, so `--demo` shows the footer, the
/// consent state and the first-contact notice as a real office would see them.
pub fn company() -> crate::compliance::company::CompanyConfig {
    use crate::compliance::company::{CompanyConfig, LegalForm};
    CompanyConfig {
        legal_form: Some(LegalForm::Gmbh),
        firma: "Muster Haustechnik GmbH".into(),
        sitz: "Musterstadt".into(),
        register_court: "Amtsgericht Musterstadt".into(),
        register_number: "HRB 12345".into(),
        managing_directors: vec!["Max Mustermann".into()],
        address: "Musterweg 1, 12345 Musterstadt".into(),
        phone: "+49 30 1234567".into(),
        info_url: "https://muster-haustechnik.example/pflichtangaben".into(),
        chamber: "Handwerkskammer Musterstadt".into(),
        trade: "Installateur und Heizungsbauer".into(),
        ..Default::default()
    }
}

/// The demo firm's urgent words, as a heating and plumbing office would set them.
pub fn urgent() -> crate::domain::urgent::UrgentRules {
    let rule = crate::domain::urgent::UrgentRule {
        words: [
            "Notfall",
            "Wasser läuft",
            "Rohrbruch",
            "Gasgeruch",
            "riecht nach Gas",
        ]
        .map(String::from)
        .to_vec(),
        patterns: vec![r"kein(e)?\s+(heizung|warmwasser)".into()],
    };
    crate::domain::urgent::UrgentRules::new(&[rule]).unwrap_or_default()
}

pub fn compliance() -> crate::compliance::Compliance {
    use crate::compliance::{Compliance, consent::ConsentConfig, footer::FooterConfig};
    // Built from fixed, valid data: failing here is a bug in the demo data.
    #[allow(clippy::expect_used)]
    Compliance::new(
        Some(&company()),
        &FooterConfig::default(),
        &ConsentConfig::default(),
        Default::default(),
        "",
    )
    .expect("the demo company is valid")
}
