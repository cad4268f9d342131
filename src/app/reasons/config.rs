//! The configuration's own checks (config::*): each follows `file:line:column: key …`.

pub(super) const TEMPLATES: &[(&str, &str)] = &[
    (
        "cannot read config file {1}: {2}",
        "Konfigurationsdatei {1} nicht lesbar: {2}",
    ),
    ("must not be empty", "darf nicht leer sein"),
    (
        "`{1}`: use letters, digits, '-', '_' and '.' only (the id names files and archive records)",
        "`{1}`: nur Buchstaben, Ziffern, '-', '_' und '.' verwenden (die ID benennt Dateien und Archiveinträge)",
    ),
    (
        "account id `{1}` is used twice",
        "Konto-ID `{1}` kommt doppelt vor",
    ),
    (
        "Signal account `{1}` needs number = \"+49…\" (the business number, international format)",
        "Signal-Konto `{1}` braucht number = \"+49…\" (die Geschäftsnummer, international geschrieben)",
    ),
    (
        "`{1}` is not a number in international format such as +493012345678",
        "`{1}` ist keine international geschriebene Nummer wie +493012345678",
    ),
    (
        "number applies to Signal accounts only",
        "number gilt nur für Signal-Konten",
    ),
    (
        "groups apply to Signal accounts only",
        "groups gilt nur für Signal-Konten",
    ),
    (
        "room selection applies to Matrix accounts only",
        "die Auswahl von Räumen gilt nur für Matrix-Konten",
    ),
    (
        "bridges apply to Matrix accounts only",
        "bridges gilt nur für Matrix-Konten",
    ),
    (
        "bridge {1}: network `{2}`; one of: {3}",
        "Bridge {1}: Netz `{2}`; möglich sind: {3}",
    ),
    (
        "bridge {1} ({2}): contact_sync = true uploads the business phone's address book; turn it off in the bridge and here (R-C5)",
        "Bridge {1} ({2}): contact_sync = true lädt das Adressbuch des Geschäftstelefons hoch; in der Bridge und hier ausschalten (R-C5)",
    ),
    (
        "expected 1..={1} days, found {2}",
        "erwartet 1..={1} Tage, gefunden {2}",
    ),
    (
        "expected 1..={1} months, found {2}",
        "erwartet 1..={1} Monate, gefunden {2}",
    ),
    (
        "expected 1..={1}, found {2}",
        "erwartet 1..={1}, gefunden {2}",
    ),
    ("expected at least {1}", "erwartet mindestens {1}"),
    (
        "a timestamp is kept beside its anchor: set archive.anchor_dir too",
        "ein Zeitstempel liegt neben seiner Verankerung: auch archive.anchor_dir setzen",
    ),
    (
        "unknown Bundesland `{1}`; one of: {2}",
        "unbekanntes Bundesland `{1}`; möglich sind: {2}",
    ),
    (
        "`{1}`: expected one date YYYY-MM-DD",
        "`{1}`: erwartet ein Datum JJJJ-MM-TT",
    ),
    (
        "empty, but away_reply is on: write the text customers get",
        "leer, aber away_reply ist eingeschaltet: den Text schreiben, den die Kundschaft bekommt",
    ),
    (
        "on, but no opening times are set (hours.monday … hours.sunday)",
        "eingeschaltet, aber keine Öffnungszeiten gesetzt (hours.monday … hours.sunday)",
    ),
    (
        "`{1}`: expected tcp:HOST:PORT, e.g. tcp:127.0.0.1:7583",
        "`{1}`: erwartet tcp:HOST:PORT, z. B. tcp:127.0.0.1:7583",
    ),
    (
        "`{1}`: signal-cli's TCP socket has no password and no encryption; use it on this machine only (127.0.0.1 or ::1), or a UNIX socket",
        "`{1}`: der TCP-Socket von signal-cli hat weder Passwort noch Verschlüsselung; nur auf diesem Rechner verwenden (127.0.0.1 oder ::1) oder einen UNIX-Socket",
    ),
    (
        "`{1}`: `{2}` is not a port number",
        "`{1}`: `{2}` ist keine Portnummer",
    ),
    (
        "`{1}`: expected an absolute socket path (unix:/run/signal-cli/socket) or tcp:127.0.0.1:7583",
        "`{1}`: erwartet einen absoluten Socket-Pfad (unix:/run/signal-cli/socket) oder tcp:127.0.0.1:7583",
    ),
    (
        "{1}; run `tresen` and press ? for the list of actions",
        "{1}; `tresen` starten und ? drücken für die Liste der Aktionen",
    ),
    (
        "expected a calling code such as \"+49\", found \"{1}\"",
        "erwartet eine Ländervorwahl wie \"+49\", gefunden \"{1}\"",
    ),
    (
        "unknown class `{1}`; one of: {2}",
        "unbekannte Klasse `{1}`; möglich sind: {2}",
    ),
    (
        "`{1}`: expected \"owner\", \"staff\" or \"auditor\"",
        "`{1}`: erwartet \"owner\", \"staff\" oder \"auditor\"",
    ),
    (
        "not a valid log filter: {1}",
        "kein gültiger Log-Filter: {1}",
    ),
    (
        "name and text must not be empty",
        "Name und Text dürfen nicht leer sein",
    ),
    (
        "`{1}`: expected from-to, e.g. \"20:00-07:00\"",
        "`{1}`: erwartet von-bis, z. B. \"20:00-07:00\"",
    ),
    ("`{1}` is empty", "`{1}` ist leer"),
    ("cannot read `{1}`: {2}", "`{1}` nicht lesbar: {2}"),
    (
        "processor `{1}` has no location: say where it processes data (location = \"DE\", \"EU\", \"US\", …)",
        "Auftragsverarbeiter `{1}` ohne Ort: angeben, wo er Daten verarbeitet (location = \"DE\", \"EU\", \"US\", …)",
    ),
    (
        "processor `{1}` works outside the EU/EEA ({2}): name the transfer ground, transfer_mechanism = one of {3} (Art. 44–46 GDPR)",
        "Auftragsverarbeiter `{1}` arbeitet außerhalb von EU/EWR ({2}): die Grundlage der Übermittlung nennen, transfer_mechanism = eins von {3} (Art. 44–46 DSGVO)",
    ),
    (
        "no Signal account `{1}` in the config",
        "kein Signal-Konto `{1}` in der Konfiguration",
    ),
    (
        "no Signal account in the config{1}",
        "kein Signal-Konto in der Konfiguration{1}",
    ),
    (
        "the config lists several Signal accounts: choose one with --id",
        "die Konfiguration nennt mehrere Signal-Konten: eines mit --id wählen",
    ),
    // keys ([keymap]), opening hours, numbers, templates
    ("unknown key `<{1}>`", "unbekannte Taste `<{1}>`"),
    (
        "invalid key `{1}`: function keys are f1 to f12",
        "ungültige Taste `{1}`: Funktionstasten sind f1 bis f12",
    ),
    (
        "invalid key `{1}`: expected one character or a key name (enter, esc, tab, backtab, backspace, delete, up, down, left, right, home, end, pgup, pgdown, space, f1–f12), optionally after ctrl- or alt-",
        "ungültige Taste `{1}`: erwartet ein Zeichen oder einen Tastennamen (enter, esc, tab, backtab, backspace, delete, up, down, left, right, home, end, pgup, pgdown, space, f1–f12), wahlweise nach ctrl- oder alt-",
    ),
    (
        "`{1}` is not a {2} number (expected e.g. \"{3} 12345\")",
        "`{1}` ist keine Nummer aus {2} (erwartet z. B. \"{3} 12345\")",
    ),
    (
        "`{1}`: the end must come after the start (no spans across midnight)",
        "`{1}`: das Ende muss nach dem Anfang liegen (keine Zeiten über Mitternacht)",
    ),
    (
        "`{1}`: overlaps or comes before the span before it",
        "`{1}`: überschneidet sich mit der Zeit davor oder liegt vor ihr",
    ),
    (
        "`{1}`: the range ends before it begins",
        "`{1}`: der Zeitraum endet, bevor er beginnt",
    ),
    (
        "unknown placeholder `{1}`; known: {2}",
        "unbekannter Platzhalter `{1}`; bekannt sind: {2}",
    ),
    // The company data (compliance::company): what each legal form must show
    ("{1} requires `{2}` ({3})", "{1} verlangt `{2}` ({3})"),
    (
        "one of einzelunternehmer, gbr, egbr, ek, ohg, kg, gmbh_co_kg, ug_co_kg, gmbh, ug, ag, eg",
        "eins von einzelunternehmer, gbr, egbr, ek, ohg, kg, gmbh_co_kg, ug_co_kg, gmbh, ug, ag, eg",
    ),
    (
        "first and family name of the owner",
        "Vor- und Familienname der Inhaberin oder des Inhabers",
    ),
    ("postal address", "Postanschrift"),
    (
        "the names of all partners",
        "die Namen aller Gesellschafter",
    ),
    (
        "the registered name with its legal-form suffix",
        "die eingetragene Firma mit dem Zusatz der Rechtsform",
    ),
    (
        "`{1}` does not show the legal form; it must contain {2}",
        "`{1}` zeigt die Rechtsform nicht; sie muss {2} enthalten",
    ),
    (
        "in liquidation: the Firma must carry \"i.L.\"",
        "in Liquidation: die Firma muss \"i.L.\" tragen",
    ),
    (
        "the register court, e.g. \"Amtsgericht Musterstadt\"",
        "das Registergericht, z. B. \"Amtsgericht Musterstadt\"",
    ),
    (
        "the register number, e.g. \"HRB 12345\"",
        "die Registernummer, z. B. \"HRB 12345\"",
    ),
    (
        "every managing director (Geschäftsführer)",
        "alle Geschäftsführer",
    ),
    (
        "every member of the Vorstand",
        "alle Mitglieder des Vorstands",
    ),
    (
        "`{1}` is not listed in `vorstand`",
        "`{1}` steht nicht in `vorstand`",
    ),
    (
        "the chair of the supervisory board (Aufsichtsrat)",
        "den Vorsitz des Aufsichtsrats",
    ),
    (
        "capital is mentioned, so the total of outstanding contributions must be too",
        "das Kapital ist genannt, also auch die Summe der ausstehenden Einlagen",
    ),
    (
        "outstanding contributions need the capital they belong to",
        "ausstehende Einlagen brauchen das Kapital, zu dem sie gehören",
    ),
    ("every liquidator", "alle Liquidatoren"),
    (
        "a [company.general_partner] table with the Komplementär's details",
        "eine Tabelle [company.general_partner] mit den Angaben der Komplementärin",
    ),
    ("must be {1} for a {2}", "muss bei einer {2} {1} sein"),
    (
        "`{1}` needs a first name written out and a family name, e.g. \"Max Mustermann\"",
        "`{1}` braucht einen ausgeschriebenen Vornamen und einen Familiennamen, z. B. \"Max Mustermann\"",
    ),
];
