//! What the operating system says about files and sockets (Rust's `io::Error` texts on
//! Linux), and tresen's general sentences around them. Last in the search: the specific
//! catalogues win.

pub(super) const SENTENCES: &[(&str, &str)] = &[
    // io::Error with an errno: "<strerror> (os error N)".
    (
        r"^No such file or directory \(os error 2\)$",
        "Datei oder Verzeichnis nicht gefunden (OS-Fehler 2)",
    ),
    (
        r"^Permission denied \(os error 13\)$",
        "keine Berechtigung (OS-Fehler 13)",
    ),
    (
        r"^Operation not permitted \(os error 1\)$",
        "Vorgang nicht erlaubt (OS-Fehler 1)",
    ),
    (
        r"^File exists \(os error 17\)$",
        "Datei existiert schon (OS-Fehler 17)",
    ),
    (
        r"^Is a directory \(os error 21\)$",
        "ist ein Verzeichnis (OS-Fehler 21)",
    ),
    (
        r"^Not a directory \(os error 20\)$",
        "ist kein Verzeichnis (OS-Fehler 20)",
    ),
    (
        r"^No space left on device \(os error 28\)$",
        "kein Platz mehr auf dem Datenträger (OS-Fehler 28)",
    ),
    (
        r"^Disk quota exceeded \(os error 122\)$",
        "Speicherkontingent überschritten (OS-Fehler 122)",
    ),
    (
        r"^Read-only file system \(os error 30\)$",
        "Dateisystem nur lesbar (OS-Fehler 30)",
    ),
    (
        r"^Directory not empty \(os error 39\)$",
        "Verzeichnis nicht leer (OS-Fehler 39)",
    ),
    (
        r"^Connection refused \(os error 111\)$",
        "Verbindung abgelehnt (OS-Fehler 111)",
    ),
    (
        r"^Connection reset by peer \(os error 104\)$",
        "Verbindung von der Gegenseite zurückgesetzt (OS-Fehler 104)",
    ),
    (
        r"^Broken pipe \(os error 32\)$",
        "Verbindung abgebrochen (OS-Fehler 32)",
    ),
    (
        r"^Address already in use \(os error 98\)$",
        "Adresse schon belegt (OS-Fehler 98)",
    ),
    (
        r"^Connection timed out \(os error 110\)$",
        "Zeitüberschreitung der Verbindung (OS-Fehler 110)",
    ),
    (
        r"^Network is unreachable \(os error 101\)$",
        "Netz nicht erreichbar (OS-Fehler 101)",
    ),
    (
        r"^Too many open files \(os error 24\)$",
        "zu viele offene Dateien (OS-Fehler 24)",
    ),
    (
        r"^Resource temporarily unavailable \(os error 11\)$",
        "vorübergehend nicht verfügbar (OS-Fehler 11)",
    ),
    (
        r"^Input/output error \(os error 5\)$",
        "Ein-/Ausgabefehler (OS-Fehler 5)",
    ),
    // io::Error without an errno.
    (r"^entity not found$", "nicht gefunden"),
    (r"^permission denied$", "keine Berechtigung"),
    (r"^unexpected end of file$", "unerwartetes Dateiende"),
    (
        r"^failed to fill whole buffer$",
        "unerwartetes Dateiende (Datei abgeschnitten?)",
    ),
    (
        r"^stream did not contain valid UTF-8$",
        "kein gültiges UTF-8",
    ),
    (r"^timed out$", "Zeitüberschreitung"),
    // tresen's general sentences about files.
    (r"^cannot read (.*?)$", "$1 nicht lesbar"),
    (r"^cannot write (.*?)$", "$1 nicht schreibbar"),
    (r"^cannot create (.*?)$", "$1 lässt sich nicht anlegen"),
    (r"^cannot open (.*?)$", "$1 lässt sich nicht öffnen"),
    (r"^cannot remove (.*?)$", "$1 lässt sich nicht entfernen"),
    (r"^cannot rename (.*?)$", "$1 lässt sich nicht umbenennen"),
    (r"^reading (.*?)$", "beim Lesen von $1"),
    (r"^writing (.*?)$", "beim Schreiben von $1"),
];
