//! The command line's own refusals, the daemon's socket and protocol, and what the
//! smaller parts (photo preview, name correction, footer and notice checks) decline.

pub(super) const TEMPLATES: &[(&str, &str)] = &[
    // The daemon, its socket and its seats
    ("no daemon at {1}", "kein Dienst unter {1}"),
    (
        "the daemon speaks protocol {1}, this tresen {2}: {3}",
        "der Dienst spricht Protokoll {1}, dieses tresen {2}: {3}",
    ),
    (
        "cannot create the socket directory {1}: {2}",
        "das Socket-Verzeichnis {1} lässt sich nicht anlegen: {2}",
    ),
    (
        "no group `{1}` ([daemon] socket_group): create it with `groupadd {2}`",
        "keine Gruppe `{1}` ([daemon] socket_group): mit `groupadd {2}` anlegen",
    ),
    (
        "cannot give {1} to group `{2}`: {3}",
        "{1} lässt sich der Gruppe `{2}` nicht übergeben: {3}",
    ),
    (
        "another daemon answers on {1}",
        "unter {1} antwortet schon ein anderer Dienst",
    ),
    (
        "cannot listen on {1}: {2}",
        "an {1} lässt sich nicht lauschen: {2}",
    ),
    ("not JSON: {1}", "kein JSON: {1}"),
    (
        "not a JSON-RPC 2.0 request: {1}",
        "keine JSON-RPC-2.0-Anfrage: {1}",
    ),
    (
        "not a JSON-RPC 2.0 frame: {1}",
        "kein JSON-RPC-2.0-Rahmen: {1}",
    ),
    ("line longer than {1} bytes", "Zeile länger als {1} Bytes"),
    (
        "half a line, then nothing for {1}",
        "eine halbe Zeile, dann nichts für {1}",
    ),
    (
        "frame of {1} bytes is over the {2}-byte limit",
        "Rahmen mit {1} Bytes überschreitet die Grenze von {2} Bytes",
    ),
    (
        "the daemon answered something else than asked (another tresen version?)",
        "der Dienst antwortete etwas anderes als gefragt (eine andere tresen-Version?)",
    ),
    (
        "the daemon answered something else than asked",
        "der Dienst antwortete etwas anderes als gefragt",
    ),
    (
        "the daemon answered something else",
        "der Dienst antwortete etwas anderes als gefragt",
    ),
    (
        "the daemon did not say what it did",
        "der Dienst hat nicht gesagt, was er getan hat",
    ),
    (
        "the daemon did not say what it recorded",
        "der Dienst hat nicht gesagt, was er eingetragen hat",
    ),
    (
        "the daemon did not say which message it stored",
        "der Dienst hat nicht gesagt, welche Nachricht er gespeichert hat",
    ),
    (
        "the daemon's export of {1} ended early",
        "der Export von {1} durch den Dienst brach vorzeitig ab",
    ),
    (
        "this command does not attach to the daemon",
        "dieser Befehl arbeitet nicht über den Dienst",
    ),
    (
        "the socket was not listening",
        "der Socket nahm keine Verbindungen an",
    ),
    (
        "engine task failed: {1}",
        "der Kern von tresen ist ausgefallen: {1}",
    ),
    (
        "cannot listen for SIGTERM",
        "SIGTERM lässt sich nicht abfangen",
    ),
    (
        "cannot listen for SIGHUP",
        "SIGHUP lässt sich nicht abfangen",
    ),
    (
        "cannot listen for Ctrl-C",
        "Strg+C lässt sich nicht abfangen",
    ),
    (
        "cannot start the async runtime",
        "die asynchrone Laufzeit startet nicht",
    ),
    (
        "cannot set up the terminal",
        "das Terminal lässt sich nicht einrichten",
    ),
    // Commands and their arguments
    (
        "--demo only opens the inbox; it takes no command",
        "--demo öffnet nur den Posteingang; ein Befehl ist dabei nicht möglich",
    ),
    (
        "`tresen sync` needs --once; to keep syncing run `tresen daemon`",
        "`tresen sync` braucht --once; für laufenden Abgleich `tresen daemon` starten",
    ),
    (
        "no accounts configured: add [[accounts]] to the config (see docs/config.md)",
        "keine Konten eingerichtet: [[accounts]] in die Konfiguration eintragen (siehe docs/config.md)",
    ),
    (
        "no conversation `{1}` (see `tresen list`)",
        "keine Unterhaltung `{1}` (siehe `tresen list`)",
    ),
    (
        "no conversation `{1}`; give --account with the remote id",
        "keine Unterhaltung `{1}`; --account mit der ID im Netz angeben",
    ),
    ("no message {1}", "keine Nachricht {1}"),
    (
        "message {1} has {2} attachment(s); there is no number {3}",
        "Nachricht {1} hat {2} Anhänge; Nr. {3} gibt es nicht",
    ),
    (
        "the download did not finish within {1} s (raise --timeout for large files)",
        "der Download war nicht binnen {1} s fertig (für große Dateien --timeout erhöhen)",
    ),
    (
        "cannot write the copy for the viewer",
        "die Kopie für das Anzeigeprogramm lässt sich nicht schreiben",
    ),
    (
        "cannot find the current directory",
        "das aktuelle Verzeichnis ist nicht auffindbar",
    ),
    ("docs bundle needs --out", "docs bundle braucht --out"),
    ("--out needs a file name", "--out braucht einen Dateinamen"),
    (
        "a hold needs a --reason",
        "eine Löschsperre braucht --reason",
    ),
    ("--from is after --to", "--from liegt nach --to"),
    (
        "say what to hold: --conversation, --contact, --from/--to or --global",
        "angeben, was gesperrt wird: --conversation, --contact, --from/--to oder --global",
    ),
    (
        "`consent show` records nothing",
        "`consent show` trägt nichts ein",
    ),
    (
        "--method {1} needs --evidence: the form submission or the scan that proves it (Art. 7(1) GDPR)",
        "--method {1} braucht --evidence: das Formular oder den Scan, der sie belegt (Art. 7 Abs. 1 DSGVO)",
    ),
    (
        "cannot write the man pages into {1}",
        "die Handbuchseiten lassen sich nicht nach {1} schreiben",
    ),
    (
        "cannot read the text from standard input: {1}",
        "der Text lässt sich nicht von der Standardeingabe lesen: {1}",
    ),
    (
        "nothing to send: give a text, --template NAME or --attach FILE",
        "nichts zu senden: einen Text, --template NAME oder --attach DATEI angeben",
    ),
    (
        "no quick reply `{1}`; configured: {2}",
        "keine Schnellantwort `{1}`; eingerichtet sind: {2}",
    ),
    (
        "internal: account list reads without the profile lock (cli.rs)",
        "intern: `account list` liest ohne die Profilsperre (cli.rs)",
    ),
    // Photo previews, name corrections, the footer and the first-contact notice
    (
        "no photo preview for this file type",
        "keine Fotovorschau für diesen Dateityp",
    ),
    (
        "the photo is too large for a preview",
        "das Foto ist zu groß für eine Vorschau",
    ),
    (
        "the photo cannot be read: {1}",
        "das Foto ist nicht lesbar: {1}",
    ),
    (
        "the terminal cannot show it: {1}",
        "das Terminal kann es nicht zeigen: {1}",
    ),
    (
        "a group chat has no contact data to correct; correct it in the customer's own chat",
        "ein Gruppenchat hat keine Kontaktdaten zu berichtigen; im eigenen Chat der Kundschaft berichtigen",
    ),
    ("the new name is empty", "der neue Name ist leer"),
    ("the name is {1} already", "der Name ist schon {1}"),
    (
        "a name of more than {1} characters is not a name",
        "ein Name mit mehr als {1} Zeichen ist kein Name",
    ),
    (
        "the footer template leaves out the required value `{1}`; keep {{ pflichtangaben }} in it",
        "die Vorlage der Fußzeile lässt den Pflichtwert `{1}` weg; {{ pflichtangaben }} darin lassen",
    ),
    (
        "the footer ({1} {2}) does not fit a {3} message ({4} {5}) even in its compact form",
        "die Fußzeile ({1} {2}) passt selbst in Kurzform nicht in eine Nachricht auf {3} ({4} {5})",
    ),
    ("bytes", "Bytes"),
    ("characters", "Zeichen"),
    (
        "the first-contact notice (both layers) says nothing about: {1}",
        "der Hinweis beim Erstkontakt (beide Ebenen) sagt nichts über: {1}",
    ),
    (
        "the first layer of the first-contact message (text and consent question) has {1} characters, more than {2}: move details to consent.privacy_text (sent when the customer answers the privacy keyword) or set consent.first_layer_max",
        "die erste Ebene der Erstkontakt-Nachricht (Text und Einwilligungsfrage) hat {1} Zeichen, mehr als {2}: Einzelheiten nach consent.privacy_text verschieben (gesendet, wenn die Kundschaft mit dem Datenschutz-Stichwort antwortet) oder consent.first_layer_max setzen",
    ),
    (
        "the first layer of the first-contact message does not say where the full notice is: name {{ info_url }} or {{ keyword }} in it",
        "die erste Ebene der Erstkontakt-Nachricht sagt nicht, wo der vollständige Hinweis steht: {{ info_url }} oder {{ keyword }} darin nennen",
    ),
];
