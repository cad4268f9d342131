//! The inbox store, the archive, the profile's key and lock: what stops tresen from
//! opening or writing what it keeps. Templates: `{1}`, `{2}` … stand for what the
//! sentence names (a path, a number, an inner error).

pub(super) const TEMPLATES: &[(&str, &str)] = &[
    // store
    (
        "the store {1} cannot be opened with this key: it was created with a different key (wrong passphrase, or the secret store holds another profile's key)",
        "der Posteingang {1} lässt sich mit diesem Schlüssel nicht öffnen: er wurde mit einem anderen angelegt (falsche Passphrase, oder der Schlüsselspeicher hält den Schlüssel eines anderen Profils)",
    ),
    (
        "the store {1} is damaged ({2}); nothing was changed. `tresen store rebuild` builds it anew from the archive (the damaged file is kept beside it), or restore it from a backup",
        "der Posteingang {1} ist beschädigt ({2}); nichts wurde geändert. `tresen store rebuild` baut ihn aus dem Archiv neu auf (die beschädigte Datei bleibt daneben liegen), oder aus einer Sicherung zurückholen",
    ),
    (
        "the store {1} has schema version {2}, this tresen understands up to {3}; use a newer tresen",
        "der Posteingang {1} hat Schema-Version {2}, dieses tresen versteht bis {3}; ein neueres tresen verwenden",
    ),
    (
        "the store {1} has schema version {2} and needs upgrading to {3}; stop the running tresen and start it (or `tresen sync --once`) with this version first",
        "der Posteingang {1} hat Schema-Version {2} und muss auf {3} gebracht werden; das laufende tresen beenden und zuerst mit dieser Version starten (oder `tresen sync --once`)",
    ),
    (
        "no such conversation: {1}",
        "keine solche Unterhaltung: {1}",
    ),
    ("no such message: {1}", "keine solche Nachricht: {1}"),
    (
        "no message with the network id {1}",
        "keine Nachricht mit der Netz-ID {1}",
    ),
    (
        "message {1} has no attachment number {2}",
        "Nachricht {1} hat keinen Anhang Nr. {2}",
    ),
    ("store error: {1}", "Fehler im Posteingang: {1}"),
    (
        "the store holds an entry this tresen cannot read: {1}",
        "der Posteingang enthält einen Eintrag, den dieses tresen nicht lesen kann: {1}",
    ),
    (
        "store I/O error on {1}: {2}",
        "Ein-/Ausgabefehler des Posteingangs bei {1}: {2}",
    ),
    (
        "attachment {1} is not in the attachment store {2}",
        "Anhang {1} ist nicht im Anhangspeicher {2}",
    ),
    (
        "attachment {1} in {2} is damaged or was altered; it cannot be opened (restore the data directory from a backup)",
        "Anhang {1} in {2} ist beschädigt oder wurde verändert; er lässt sich nicht öffnen (das Datenverzeichnis aus einer Sicherung zurückholen)",
    ),
    ("attachment store {1}: {2}", "Anhangspeicher {1}: {2}"),
    // archive
    (
        "the archive is damaged at record {1} ({2}); an anchor would certify that. Run `tresen archive verify`.",
        "das Archiv ist bei Eintrag {1} beschädigt ({2}); eine Verankerung würde das beglaubigen. `tresen archive verify` ausführen.",
    ),
    (
        "{1} cannot be opened with this profile's key: the archive belongs to another key (or the file is damaged). Nothing was read or changed.",
        "{1} lässt sich mit dem Schlüssel dieses Profils nicht öffnen: das Archiv gehört zu einem anderen Schlüssel (oder die Datei ist beschädigt). Nichts wurde gelesen oder geändert.",
    ),
    (
        "{1} is missing although the archive holds records: without it the records cannot be read. Restore it from a backup; tresen does not start a new one over an existing archive.",
        "{1} fehlt, obwohl das Archiv Einträge hat: ohne diese Datei sind die Einträge nicht lesbar. Aus einer Sicherung zurückholen; über ein bestehendes Archiv legt tresen keine neue an.",
    ),
    ("archive damaged: {1}", "Archiv beschädigt: {1}"),
    ("archive {1}: {2}", "Archiv {1}: {2}"),
    (
        "the engine cannot write its archive: {1}",
        "das Archiv lässt sich nicht schreiben: {1}",
    ),
    (
        "the archive cannot be written ({1}); nothing new was stored or acknowledged, the next run fetches it again",
        "das Archiv lässt sich nicht schreiben ({1}); nichts Neues wurde gespeichert oder bestätigt, der nächste Lauf holt es noch einmal",
    ),
    (
        "archive.tsa_url `{1}`: only http:// URLs (RFC 3161 over HTTP), e.g. http://zeitstempel.dfn.de",
        "archive.tsa_url `{1}`: nur http://-Adressen (RFC 3161 über HTTP), z. B. http://zeitstempel.dfn.de",
    ),
    (
        "the timestamp authority {1} is unreachable: {2}",
        "der Zeitstempeldienst {1} ist nicht erreichbar: {2}",
    ),
    (
        "the timestamp authority {1} answered HTTP {2} instead of a timestamp",
        "der Zeitstempeldienst {1} antwortete mit HTTP {2} statt eines Zeitstempels",
    ),
    (
        "the timestamp authority {1} answered something that is not an RFC 3161 reply: {2}",
        "der Zeitstempeldienst {1} antwortete mit etwas, das keine RFC-3161-Antwort ist: {2}",
    ),
    (
        "the timestamp authority {1} refused the request (status {2})",
        "der Zeitstempeldienst {1} hat die Anfrage abgelehnt (Status {2})",
    ),
    (
        "the timestamp from {1} is not for this checkpoint: {2}",
        "der Zeitstempel von {1} gehört nicht zu diesem Prüfpunkt: {2}",
    ),
    ("not an RFC 3161 reply: {1}", "keine RFC-3161-Antwort: {1}"),
    (
        "the archive has no record {1}",
        "das Archiv hat keinen Eintrag {1}",
    ),
    (
        "record {1} ({2}) has no original network payload",
        "Eintrag {1} ({2}) hat keine Originaldaten des Netzes",
    ),
    ("no archive", "kein Archiv"),
    (
        "this profile has no archive",
        "dieses Profil hat kein Archiv",
    ),
    (
        "cannot keep the versions in {1}: {2}",
        "die Fassungen lassen sich in {1} nicht ablegen: {2}",
    ),
    ("reading the archive: {1}", "beim Lesen des Archivs: {1}"),
    (
        "reading the compliance ledger",
        "beim Lesen der Prüfergebnisse",
    ),
    (
        "reading the usage policy acceptances",
        "beim Lesen der Annahmen der Nutzungsrichtlinie",
    ),
    // profile, key, lock, data directory
    (
        "profile in use by PID {1} (lock file {2}). Stop that tresen (or its daemon) first, or use another profile",
        "Profil wird von PID {1} benutzt (Sperrdatei {2}). Erst dieses tresen (oder seinen Dienst) beenden oder ein anderes Profil verwenden",
    ),
    (
        "cannot create lock file {1}: {2}",
        "Sperrdatei {1} lässt sich nicht anlegen: {2}",
    ),
    (
        "cannot bring the inbox store up to the archive: {1}",
        "der Posteingang lässt sich nicht auf den Stand des Archivs bringen: {1}",
    ),
    (
        "the system keyring is not available: {1}. On a desktop, log in to a session with GNOME Keyring or KWallet; on a server set secrets.backend = \"systemd\" or \"passphrase\"",
        "der Schlüsselbund des Systems ist nicht verfügbar: {1}. Am Arbeitsplatz in einer Sitzung mit GNOME Keyring oder KWallet anmelden; auf einem Server secrets.backend = \"systemd\" oder \"passphrase\" setzen",
    ),
    (
        "the system keyring is locked: {1}. Unlock it (for example by logging in to the desktop) and start tresen again",
        "der Schlüsselbund des Systems ist gesperrt: {1}. Entsperren (etwa durch Anmelden am Desktop) und tresen neu starten",
    ),
    (
        "the system keyring did not answer within {1} s; is its unlock prompt hidden?",
        "der Schlüsselbund des Systems hat nicht binnen {1} s geantwortet; ist seine Entsperr-Abfrage verdeckt?",
    ),
    (
        "the {1} has no key for this profile, but the store {2} exists. The key is needed to read it: restore it in the {3}, or choose the backend that holds it (secrets.backend)",
        "{1} hat keinen Schlüssel für dieses Profil, aber der Posteingang {2} besteht. Ohne den Schlüssel ist er nicht lesbar: ihn dort wiederherstellen oder den Speicher wählen, der ihn hält (secrets.backend)",
    ),
    (
        "systemd credential not available: {1}. Run tresen from a unit with LoadCredentialEncrypted=<name> (see docs/secrets.md)",
        "systemd-Credential nicht verfügbar: {1}. tresen aus einer Unit mit LoadCredentialEncrypted=<Name> starten (siehe docs/secrets.md)",
    ),
    ("system keyring", "der Schlüsselbund des Systems"),
    ("passphrase key file", "die Schlüsseldatei der Passphrase"),
    ("passphrase: {1}", "Passphrase: {1}"),
    ("wrong passphrase for {1}", "falsche Passphrase für {1}"),
    ("key file {1}: {2}", "Schlüsseldatei {1}: {2}"),
    (
        "data directory {1} has permissions {2}; tresen needs to read, write and enter it (owner rwx). Fix with: chmod 700 {3}",
        "Datenverzeichnis {1} hat die Rechte {2}; tresen muss es lesen, beschreiben und betreten (Eigentümer rwx). Beheben mit: chmod 700 {3}",
    ),
    (
        "{1} exists but is not a directory",
        "{1} besteht, ist aber kein Verzeichnis",
    ),
    // archive reading, anchors, manifests, restore drills, exports
    (
        "{1}: no archive in it (neither archive/seg-*.jsonl nor seg-*.jsonl); name the restored copy of the data directory",
        "{1}: kein Archiv darin (weder archive/seg-*.jsonl noch seg-*.jsonl); die zurückgespielte Kopie des Datenverzeichnisses angeben",
    ),
    (
        "{1}: no archive segments in the copy",
        "{1}: keine Archivsegmente in der Kopie",
    ),
    (
        "{1}: its record {2} is not the live archive's record {3}: a copy of another archive, or one of them was rewritten",
        "{1}: sein Eintrag {2} ist nicht Eintrag {3} des laufenden Archivs: Kopie eines anderen Archivs, oder eines von beiden wurde umgeschrieben",
    ),
    (
        "{1} differs from the archive's {2}: this copy was made from another archive, or the archive's manifest was replaced. Nothing written.",
        "{1} weicht von {2} des Archivs ab: diese Kopie stammt aus einem anderen Archiv, oder das Manifest des Archivs wurde ersetzt. Nichts geschrieben.",
    ),
    (
        "refused file name {1} in an anchor",
        "abgelehnter Dateiname {1} in einer Verankerung",
    ),
    ("refused file name {1}", "abgelehnter Dateiname {1}"),
    ("{1}: not UTF-8", "{1}: kein UTF-8"),
    (
        "record {1}: content does not decrypt (run `tresen archive verify`)",
        "Eintrag {1}: Inhalt lässt sich nicht entschlüsseln (`tresen archive verify` ausführen)",
    ),
    (
        "{1}: {2} (run `tresen archive verify`)",
        "{1}: {2} (`tresen archive verify` ausführen)",
    ),
    (
        "{1}: the checkpoint's signature does not match this archive's key",
        "{1}: die Signatur des Prüfpunkts passt nicht zum Schlüssel dieses Archivs",
    ),
    (
        "{1}: the timestamp does not cover its checkpoint: {2}",
        "{1}: der Zeitstempel deckt seinen Prüfpunkt nicht ab: {2}",
    ),
    (
        "cannot encode a record: {1}",
        "Eintrag lässt sich nicht kodieren: {1}",
    ),
    (
        "cannot encode a manifest: {1}",
        "Manifest lässt sich nicht kodieren: {1}",
    ),
    ("bucket {1} has no key", "Teil {1} hat keinen Schlüssel"),
    (
        "expected tag {1}, found {2}",
        "erwartet Kennung {1}, gefunden {2}",
    ),
    (
        "{1}: changed after it was written (not the two lines tresen writes)",
        "{1}: nach dem Schreiben verändert (nicht die zwei Zeilen, die tresen schreibt)",
    ),
    (
        "{1}: not a signed manifest (two lines expected)",
        "{1}: kein signiertes Manifest (zwei Zeilen erwartet)",
    ),
    (
        "{1} already holds 999 files named like {2}",
        "{1} enthält schon 999 Dateien mit Namen wie {2}",
    ),
    (
        "the archive holds nothing about `{1}` (give the number, handle or conversation id)",
        "das Archiv enthält nichts über `{1}` (die Nummer, den Namen im Netz oder die ID der Unterhaltung angeben)",
    ),
    (
        "class `{1}` is not tax-relevant: an audit export holds only statutory classes (handelsbrief, buchungsbeleg, buch), never all chats",
        "Klasse `{1}` ist nicht steuerlich relevant: ein Prüfungsexport enthält nur gesetzliche Klassen (handelsbrief, buchungsbeleg, buch), nie alle Chats",
    ),
    (
        "{1}..{2} is no range of days",
        "{1}..{2} ist kein Zeitraum von Tagen",
    ),
    (
        "{1} exists; name a new directory",
        "{1} gibt es schon; ein neues Verzeichnis angeben",
    ),
    (
        "the archive cannot be written ({1}); nothing was sent",
        "das Archiv lässt sich nicht schreiben ({1}); nichts wurde gesendet",
    ),
    // the key
    (
        "cannot read from the terminal: {1}",
        "vom Terminal nicht lesbar: {1}",
    ),
    (
        "secrets.passphrase_file {1} is empty",
        "secrets.passphrase_file {1} ist leer",
    ),
    (
        "a new passphrase needs at least {1} characters, as it protects records kept for ten years — a few words are easiest",
        "eine neue Passphrase braucht mindestens {1} Zeichen, denn sie schützt zehn Jahre lang Aufbewahrtes – am einfachsten ein paar Wörter",
    ),
    (
        "{1} must hold 32 raw bytes or 64 hex digits",
        "{1} muss 32 Bytes roh oder 64 Hex-Ziffern enthalten",
    ),
    // archive verify (archive::verify): what is damaged, and where
    (
        "the manifest's signature does not match it",
        "die Signatur des Manifests passt nicht dazu",
    ),
    (
        "the manifest is signed by another key ({1})",
        "das Manifest ist mit einem anderen Schlüssel signiert ({1})",
    ),
    (
        "the manifest does not follow the previous segment's manifest",
        "das Manifest schließt nicht an das Manifest des vorigen Segments an",
    ),
    ("the manifest describes {1}", "das Manifest beschreibt {1}"),
    (
        "the manifest starts at record {1}, the chain at {2}",
        "das Manifest beginnt bei Eintrag {1}, die Kette bei {2}",
    ),
    (
        "{1} is followed by another segment but has no manifest",
        "auf {1} folgt ein weiteres Segment, aber es hat kein Manifest",
    ),
    (
        "the archive ends at record {1}, but {2} holds record {3}: records were cut off or rewritten",
        "das Archiv endet bei Eintrag {1}, aber {2} enthält Eintrag {3}: Einträge wurden abgeschnitten oder umgeschrieben",
    ),
    (
        "{1} differs from its off-box copy: it was replaced",
        "{1} weicht von seiner Kopie außerhalb des Rechners ab: es wurde ersetzt",
    ),
    (
        "{1} is in the off-box copy but not in the archive",
        "{1} ist in der Kopie außerhalb des Rechners, aber nicht im Archiv",
    ),
    (
        "{1} bytes at the end of {2} are still being written",
        "{1} Bytes am Ende von {2} werden gerade noch geschrieben",
    ),
    (
        "{1} ends in {2} bytes that are no complete record (a write cut short); opening the profile sets them aside",
        "{1} endet mit {2} Bytes, die kein vollständiger Eintrag sind (ein abgebrochener Schreibvorgang); beim Öffnen des Profils werden sie beiseitegelegt",
    ),
    (
        "{1} ends at record {2}, its manifest says {3}: records {4}–{5} are missing",
        "{1} endet bei Eintrag {2}, sein Manifest nennt {3}: die Einträge {4}–{5} fehlen",
    ),
    (
        "{1} holds records up to {2}, its manifest says {3}",
        "{1} enthält Einträge bis {2}, sein Manifest nennt {3}",
    ),
    (
        "the last record's hash differs from the manifest",
        "der Hash des letzten Eintrags weicht vom Manifest ab",
    ),
    (
        "{1} differs from the file its manifest sealed (chain and contents check, so the change is in bytes they do not cover, such as an authentication tag)",
        "{1} weicht von der Datei ab, die sein Manifest versiegelt hat (Kette und Inhalte stimmen, die Änderung liegt in Bytes, die sie nicht abdecken, etwa einem Authentifizierungs-Tag)",
    ),
    (
        "record at byte {1} is not UTF-8",
        "Eintrag bei Byte {1} ist kein UTF-8",
    ),
    (
        "record {1} expected, found record {2} (byte {3} of {4}): {5}",
        "Eintrag {1} erwartet, Eintrag {2} gefunden (Byte {3} von {4}): {5}",
    ),
    (
        "record {1} (byte {2} of {3}): {4}",
        "Eintrag {1} (Byte {2} von {3}): {4}",
    ),
    (
        "record {1} names bucket {2}, which the key table does not know",
        "Eintrag {1} nennt Teil {2}, den die Schlüsseltabelle nicht kennt",
    ),
    (
        "record {1} differs from {2}: the chain was rewritten from here on or before",
        "Eintrag {1} weicht von {2} ab: die Kette wurde ab hier oder davor umgeschrieben",
    ),
    (
        "HEAD is unreadable; the end of the archive was not compared with it",
        "HEAD ist nicht lesbar; das Ende des Archivs wurde nicht damit verglichen",
    ),
    (
        "HEAD is missing; the end of the archive was not compared with it",
        "HEAD fehlt; das Ende des Archivs wurde nicht damit verglichen",
    ),
    (
        "HEAD does not carry this profile's tag; ignored",
        "HEAD trägt nicht die Kennung dieses Profils; nicht beachtet",
    ),
    (
        "the archive ends at record {1}, but record {2} was written: records {3}–{4} are missing",
        "das Archiv endet bei Eintrag {1}, aber Eintrag {2} wurde geschrieben: die Einträge {3}–{4} fehlen",
    ),
    ("the anchor {1}", "die Verankerung {1}"),
    (
        "{1}: timestamped {2} by the TSA; its signature is checked with `openssl ts -verify` and the TSA's CA certificate",
        "{1}: vom Zeitstempeldienst am {2} gestempelt; seine Signatur prüft `openssl ts -verify` mit dem CA-Zertifikat des Dienstes",
    ),
    // record {1}: {2} — the decoder's detail, last (the more specific forms come first)
    ("record {1}: {2}", "Eintrag {1}: {2}"),
    ("{1}: {2} records", "{1}: {2} Einträge"),
];
