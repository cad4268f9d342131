//! What the connectors give as an account's health, what the engine declines, the
//! configuration reader and the consent gate.

pub(super) const SENTENCES: &[(&str, &str)] = &[
    (r"^stopped$", "beendet"),
    (
        r"^the connection to signal-cli was lost; reconnecting$",
        "Verbindung zu signal-cli unterbrochen; wird neu aufgebaut",
    ),
    (
        r"^signal-cli is not reachable$",
        "signal-cli ist nicht erreichbar",
    ),
    (
        r"^cannot connect to signal-cli at (.*?): (.*)$",
        "keine Verbindung zu signal-cli unter $1: $2",
    ),
    (
        r"^cannot start (.*?): (.*) \(set signal\.cli_path in the config; docs/signal\.md\)$",
        "$1 startet nicht: $2 (signal.cli_path in der Konfiguration setzen; docs/signal.md)",
    ),
    (
        r"^signal-cli stopped right after starting \(exit (.*?)\): (.*)$",
        "signal-cli hat sich gleich nach dem Start beendet (Exit $1): $2",
    ),
    (
        r"^signal-cli did not open its socket within (\d+) s$",
        "signal-cli hat seinen Socket nicht binnen $1 s geöffnet",
    ),
    (
        r"^cannot prepare (.*?): (.*)$",
        "$1 lässt sich nicht anlegen: $2",
    ),
    (
        r"^signal-cli does not answer: (.*)$",
        "signal-cli antwortet nicht: $1",
    ),
    (
        r"^signal-cli did not answer `(.*?)` within (\d+) s$",
        "signal-cli hat `$1` nicht binnen $2 s beantwortet",
    ),
    (
        r"^the connection to signal-cli is closed$",
        "die Verbindung zu signal-cli ist geschlossen",
    ),
    (
        r"^(.*?) is not set up in signal-cli: link the business phone \(L\) or run `tresen account link signal` / `tresen account register signal`$",
        "$1 ist in signal-cli nicht eingerichtet: Geschäftstelefon koppeln (L) oder `tresen account link signal` / `tresen account register signal`",
    ),
    (
        r"^signal-cli (.*?) is older than (.*?): Signal may stop accepting it; update signal-cli \(docs/signal\.md\)$",
        "signal-cli $1 ist älter als $2: Signal nimmt es womöglich bald nicht mehr an; signal-cli aktualisieren (docs/signal.md)",
    ),
    (
        r"^signal-cli (.*?) is too old for tresen \(at least (.*?) needed, (.*?) recommended\)$",
        "signal-cli $1 ist zu alt für tresen (mindestens $2 nötig, $3 empfohlen)",
    ),
    (
        r"^cannot tell which signal-cli this is \((.*)\); tresen is tested with (.*?) and later$",
        "unklar, welches signal-cli das ist ($1); tresen ist mit $2 und neuer geprüft",
    ),
    (r"^sync failed: (.*)$", "Abgleich fehlgeschlagen: $1"),
    (
        r"^could not accept the invite: (.*)$",
        "Einladung konnte nicht angenommen werden: $1",
    ),
    (
        r"^the homeserver ended this session \(logged out elsewhere\?\): run (.*)$",
        "der Homeserver hat diese Sitzung beendet (anderswo abgemeldet?): $1",
    ),
    (r"^not logged in: (.*)$", "nicht angemeldet: $1"),
    (
        r"^the (.*?) connector is not part of this build$",
        "die Anbindung an $1 ist in diesem Build nicht enthalten",
    ),
    // What the engine declines (engine::EngineError).
    (
        r"^no scheduled message (.*)$",
        "keine geplante Nachricht $1",
    ),
    (
        r"^the scheduled message (.*?) is cancelled already$",
        "die geplante Nachricht $1 ist schon zurückgezogen",
    ),
    (
        r"^the scheduled message (.*?) is (sent|late) already$",
        "die geplante Nachricht $1 ist schon gesendet",
    ),
    (
        r"^the scheduled message (.*?) is (missed|refused) already$",
        "die geplante Nachricht $1 ist schon erledigt (nicht gesendet)",
    ),
    (
        r"^the scheduled message (.*?) is (.*?) already$",
        "die geplante Nachricht $1 ist schon erledigt",
    ),
    (r"^no conversation (\d+)$", "keine Unterhaltung $1"),
    // An integrity check's outcome as archived: `record 7: <problem> (<code>)`.
    (r"^record (\d+): (.*) \(([a-z_]+)\)$", "Eintrag $1: $2 ($3)"),
    (r"^(\d+) records$", "$1 Einträge"),
    (
        r"^this message is not on the network$",
        "diese Nachricht ist nicht im Netz angekommen",
    ),
    (
        r"^no connector is running for this account$",
        "für dieses Konto läuft keine Anbindung",
    ),
    (
        r"^the connector is busy; try again$",
        "die Anbindung ist ausgelastet; bitte noch einmal versuchen",
    ),
    (
        r"^the engine has stopped$",
        "tresen läuft auf diesem Profil nicht mehr",
    ),
    (r"^the message is empty$", "die Nachricht ist leer"),
    // The configuration: what the TOML reader says, and the first rule a new office meets.
    (
        r"^unknown field `(.*?)`, expected one of (.*)$",
        "unbekannter Schlüssel `$1`; möglich sind $2",
    ),
    (
        r"^unknown field `(.*?)`, there are no fields$",
        "unbekannter Schlüssel `$1`; hier sind keine erlaubt",
    ),
    (
        r"^unknown variant `(.*?)`, expected one of (.*)$",
        "unbekannter Wert `$1`; möglich sind $2",
    ),
    (
        r"^unknown variant `(.*?)`, expected (.*)$",
        "unbekannter Wert `$1`; erwartet wird $2",
    ),
    (
        r"^invalid type: (.*?), expected (.*)$",
        "falscher Typ: $1; erwartet wird $2",
    ),
    (r"^missing field `(.*?)`$", "Pflichtschlüssel `$1` fehlt"),
    (r"^duplicate key$", "Schlüssel doppelt"),
    (
        r#"^account `(.*?)` needs purpose = "business": tresen connects only the firm's business accounts, never a private one$"#,
        r#"Konto `$1` braucht purpose = "business": tresen verbindet nur geschäftliche Konten der Firma, nie private"#,
    ),
    // The consent gate and the company data (compliance), word for word.
    (
        r"^no consent for `(.*?)` from this contact: reminders, offers and review requests need their own consent \(§ 7 UWG\)\. Record it with `tresen consent grant` once the customer agreed, or call or write by post\.$",
        "keine Einwilligung für `$1` von diesem Kontakt: Erinnerungen, Angebote und Bitten um Bewertungen brauchen eine eigene Einwilligung (§ 7 UWG). Mit `tresen consent grant` eintragen, sobald die Kundschaft zugestimmt hat – oder anrufen bzw. per Post schreiben.",
    ),
    (
        r"^this contact has not consented to messenger contact and has not written to us: starting the conversation is blocked \(Art\. 6 GDPR\)\. Ask by phone, by post or by e-mail, then record it with `tresen consent grant`\.$",
        "dieser Kontakt hat Nachrichten per Messenger nicht zugestimmt und uns nicht geschrieben: die Unterhaltung zu beginnen ist gesperrt (Art. 6 DSGVO). Telefonisch, per Post oder E-Mail fragen, dann mit `tresen consent grant` eintragen.",
    ),
    (
        r"^the contact withdrew consent for `(.*?)` on (.*?): no more messages of this kind on this channel\. Use the phone or e-mail instead\.$",
        "der Kontakt hat die Einwilligung für `$1` am $2 widerrufen: keine Nachrichten dieser Art mehr über diesen Kanal. Stattdessen Telefon oder E-Mail nutzen.",
    ),
    (
        r"^no company data: add a \[company\] section to the configuration \(legal form, Firma, register data; docs/compliance\.md\) so every message can carry the Pflichtangaben$",
        "keine Firmendaten: einen Abschnitt [company] in der Konfiguration anlegen (Rechtsform, Firma, Registerdaten; docs/compliance.md), damit jede Nachricht die Pflichtangaben trägt",
    ),
];
