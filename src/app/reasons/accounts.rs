//! Setting up and reaching the messenger accounts: Signal linking and registration,
//! Matrix login and recovery, which account of the config is meant.

pub(super) const TEMPLATES: &[(&str, &str)] = &[
    // Signal registration and linking (connector::signal::onboarding)
    (
        "Signal wants a captcha before it sends a code: open {1}, solve it, right-click \"Open Signal\", copy the link and give it with --captcha (or paste it when asked)",
        "Signal verlangt ein Captcha, bevor es einen Code schickt: {1} öffnen, lösen, mit der rechten Maustaste auf „Open Signal“ klicken, den Link kopieren und mit --captcha angeben (oder einfügen, wenn danach gefragt wird)",
    ),
    (
        "Signal did not accept the captcha (they are valid for a few minutes only): solve a new one at {1}",
        "Signal hat das Captcha nicht angenommen (es gilt nur wenige Minuten): ein neues unter {1} lösen",
    ),
    (
        "Signal is rate-limiting this number; try again later{1}",
        "Signal bremst diese Nummer; später noch einmal versuchen{1}",
    ),
    (
        "Signal calls only after an SMS was requested first: tresen requests the SMS (it does not need to arrive) and calls after a minute",
        "Signal ruft erst an, nachdem eine SMS angefordert wurde: tresen fordert die SMS an (sie muss nicht ankommen) und lässt nach einer Minute anrufen",
    ),
    (
        "the verification code is wrong or expired; request a new one with `tresen account register signal` again ({1})",
        "der Bestätigungscode ist falsch oder abgelaufen; mit `tresen account register signal` einen neuen anfordern ({1})",
    ),
    (
        "this number has a registration lock: give its Signal PIN with --pin (or when asked){1}",
        "diese Nummer hat eine Registrierungssperre: ihre Signal-PIN mit --pin angeben (oder wenn danach gefragt wird){1}",
    ),
    (
        "the Signal PIN is wrong ({1}); too many wrong PINs lock the number for days",
        "die Signal-PIN ist falsch ({1}); zu viele falsche PINs sperren die Nummer für Tage",
    ),
    (
        "the number `{1}` is not a number Signal accepts: write it in international format, e.g. +493012345678",
        "die Nummer `{1}` nimmt Signal nicht an: international schreiben, z. B. +493012345678",
    ),
    (
        "the business phone did not confirm in time: scan the code again with Signal → Settings → Linked devices → +",
        "das Geschäftstelefon hat nicht rechtzeitig bestätigt: den Code noch einmal scannen mit Signal → Einstellungen → Gekoppelte Geräte → +",
    ),
    (
        "signal-cli already holds an account for {1}: {2}",
        "signal-cli hat schon ein Konto für {1}: {2}",
    ),
    (
        "Signal's servers could not be reached ({1}); check the internet connection and try again",
        "die Server von Signal sind nicht erreichbar ({1}); die Internetverbindung prüfen und noch einmal versuchen",
    ),
    (
        "signal-cli has no account {1}: set it up with `tresen account link signal` or `tresen account register signal`",
        "signal-cli hat kein Konto {1}: mit `tresen account link signal` oder `tresen account register signal` einrichten",
    ),
    (
        "cannot draw the link as a QR code: {1}",
        "der Link lässt sich nicht als QR-Code zeichnen: {1}",
    ),
    (
        "cannot read the answer from stdin",
        "die Antwort lässt sich nicht von der Standardeingabe lesen",
    ),
    (
        "the group is listed in the config (groups = [...]): remove it there",
        "die Gruppe steht in der Konfiguration (groups = [...]): dort entfernen",
    ),
    (
        "the group was not accepted in the TUI; `tresen account groups` lists the business groups",
        "die Gruppe wurde im Posteingang nicht aufgenommen; `tresen account groups` zeigt die geschäftlichen Gruppen",
    ),
    (
        "this network has no such step",
        "dieses Netz kennt diesen Schritt nicht",
    ),
    // Matrix (connector::matrix::account)
    (
        "cannot reach the homeserver {1}: {2}",
        "Homeserver {1} nicht erreichbar: {2}",
    ),
    (
        "{1} does not look like a Matrix homeserver: {2}",
        "{1} sieht nicht nach einem Matrix-Homeserver aus: {2}",
    ),
    (
        "the homeserver rejected user `{1}` with this password",
        "der Homeserver hat Benutzer `{1}` mit diesem Passwort abgewiesen",
    ),
    (
        "the homeserver does not offer password login ({1}); single sign-on is not supported yet",
        "der Homeserver bietet keine Anmeldung mit Passwort an ({1}); Single Sign-on kann tresen noch nicht",
    ),
    (
        "account `{1}` is not logged in: run `tresen account add matrix --id {2} …`",
        "Konto `{1}` ist nicht angemeldet: `tresen account add matrix --id {2} …` ausführen",
    ),
    (
        "account `{1}`: the saved session cannot be opened (was the profile key changed?)",
        "Konto `{1}`: die gespeicherte Sitzung lässt sich nicht öffnen (wurde der Schlüssel des Profils geändert?)",
    ),
    (
        "account `{1}` is already logged in as {2}: `tresen account remove {3}` first",
        "Konto `{1}` ist schon als {2} angemeldet: zuerst `tresen account remove {3}`",
    ),
    (
        "account `{1}` already has a recovery key; `tresen account recovery-key --id {2} --reset` makes a new one (the old key stops working)",
        "Konto `{1}` hat schon einen Wiederherstellungsschlüssel; `tresen account recovery-key --id {2} --reset` legt einen neuen an (der alte gilt dann nicht mehr)",
    ),
    (
        "the recovery key was not accepted ({1}); check it, or ask who set it up",
        "der Wiederherstellungsschlüssel wurde nicht angenommen ({1}); prüfen oder bei der Person nachfragen, die ihn eingerichtet hat",
    ),
    (
        "this build of tresen has no Matrix support (feature `matrix`)",
        "diesem tresen fehlt die Matrix-Anbindung (Feature `matrix`)",
    ),
    // Which account of the config is meant (cli::account, config::which_account)
    (
        "no account `{1}` in the config{2}",
        "kein Konto `{1}` in der Konfiguration{2}",
    ),
    (
        "account `{1}` is a {2} account in the config, not {3}",
        "Konto `{1}` ist laut Konfiguration ein {2}-Konto, kein {3}",
    ),
    (
        "no Signal account with number {1} in the config{2}",
        "kein Signal-Konto mit der Nummer {1} in der Konfiguration{2}",
    ),
    (
        "no {1} account in the config{2}",
        "kein {1}-Konto in der Konfiguration{2}",
    ),
    (
        "the config lists several {1} accounts: choose one with --id",
        "die Konfiguration nennt mehrere {1}-Konten: eines mit --id wählen",
    ),
    (
        "account `{1}` has number {2} in the config, not {3}",
        "Konto `{1}` hat laut Konfiguration die Nummer {2}, nicht {3}",
    ),
    (
        "`{1}` is not a number in international format: write it as +49… (e.g. +493012345678)",
        "`{1}` ist keine Nummer im internationalen Format: als +49… schreiben (z. B. +493012345678)",
    ),
    (
        "\n\nadd it to the config first (business accounts only):{1}",
        "\n\nzuerst in die Konfiguration eintragen (nur geschäftliche Konten):{1}",
    ),
    ("password", "Passwort"),
    ("recovery key", "Wiederherstellungsschlüssel"),
    (
        "cannot read the {1} file {2}",
        "{1}: Datei {2} nicht lesbar",
    ),
    (
        "cannot read the {1} from stdin",
        "{1}: von der Standardeingabe nicht lesbar",
    ),
    ("the {1} is empty", "{1}: leer"),
    (
        "account `{1}` ({2}) has nothing to remove",
        "Konto `{1}` ({2}): nichts zu entfernen",
    ),
    (
        "this account command does not attach to the daemon",
        "dieser Kontobefehl arbeitet nicht über den Dienst",
    ),
    // Accounts at the daemon and their connections
    (
        "the connection of `{1}` did not answer (`tresen status` shows its state)",
        "die Anbindung von `{1}` hat nicht geantwortet (`tresen status` zeigt ihren Zustand)",
    ),
    (
        "no answer from signal-cli for `{1}` within {2} s",
        "keine Antwort von signal-cli auf `{1}` binnen {2} s",
    ),
    (
        "account `{1}` is not logged in yet: run `tresen account add matrix --id {2} --homeserver URL --user NAME`",
        "Konto `{1}` ist noch nicht angemeldet: `tresen account add matrix --id {2} --homeserver URL --user NAME` ausführen",
    ),
    (
        "account `{1}`: the {2} connector is not part of this build",
        "Konto `{1}`: die Anbindung an {2} ist in diesem Build nicht enthalten",
    ),
    (
        "account `{1}` is a {2} account in the daemon's config, not {3}",
        "Konto `{1}` ist laut Konfiguration des Dienstes ein {2}-Konto, kein {3}",
    ),
    (
        "the daemon's config lists no account `{1}`: add it under [[accounts]] there and restart the daemon",
        "die Konfiguration des Dienstes nennt kein Konto `{1}`: dort unter [[accounts]] eintragen und den Dienst neu starten",
    ),
    (
        "the daemon's config lists no {1} account: add one under [[accounts]] there and restart the daemon",
        "die Konfiguration des Dienstes nennt kein {1}-Konto: dort unter [[accounts]] eines eintragen und den Dienst neu starten",
    ),
    (
        "the daemon's config lists several {1} accounts: choose one with --id",
        "die Konfiguration des Dienstes nennt mehrere {1}-Konten: eines mit --id wählen",
    ),
    (
        "signal-cli's answer to startLink had no device link: {1}",
        "die Antwort von signal-cli auf startLink enthielt keinen Geräte-Link: {1}",
    ),
    (
        "signal-cli's answer to finishLink named no number: {1}",
        "die Antwort von signal-cli auf finishLink nannte keine Nummer: {1}",
    ),
    (
        "the phone that scanned is {1}, but this account's number is {2}: scan with the business phone, or set number = \"{3}\" in the config",
        "gescannt hat das Telefon {1}, die Nummer dieses Kontos ist aber {2}: mit dem Geschäftstelefon scannen oder number = \"{3}\" in der Konfiguration setzen",
    ),
    // Files of messages
    (
        "{1} was never downloaded and the network gave no address for it",
        "{1} wurde nie heruntergeladen, und das Netz nannte keine Adresse dafür",
    ),
    (
        "account {1} is not connected; the file can be downloaded once it is",
        "Konto {1} ist nicht verbunden; die Datei lässt sich laden, sobald es das ist",
    ),
    (
        "the time {1} has already passed",
        "der Zeitpunkt {1} ist schon vorbei",
    ),
    // What signal-cli's error codes mean (RpcError::explain): `<meaning> (<its words>)`
    ("signal-cli error {1}: {2}", "signal-cli-Fehler {1}: {2}"),
    (
        "Signal refused the request ({1})",
        "Signal hat die Anfrage abgelehnt ({1})",
    ),
    (
        "Signal's servers could not be reached or answered with an error; tresen retries ({1})",
        "die Server von Signal waren nicht erreichbar oder meldeten einen Fehler; tresen versucht es wieder ({1})",
    ),
    (
        "the customer's safety number changed (new phone or reinstall): check it with them, then trust the new key ({1})",
        "die Sicherheitsnummer der Kundschaft hat sich geändert (neues Telefon oder neu installiert): mit ihr abgleichen, dann dem neuen Schlüssel vertrauen ({1})",
    ),
    (
        "Signal is rate-limiting this number; wait a while before sending more ({1})",
        "Signal bremst diese Nummer; eine Weile warten, bevor mehr gesendet wird ({1})",
    ),
    (
        "the captcha was not accepted; get a new one and try again ({1})",
        "das Captcha wurde nicht angenommen; ein neues holen und noch einmal versuchen ({1})",
    ),
    (
        "tresen sent a malformed request (a bug; please report it) ({1})",
        "tresen hat eine fehlerhafte Anfrage geschickt (ein Fehler in tresen; bitte melden) ({1})",
    ),
    (
        "this signal-cli does not know the request; update signal-cli ({1})",
        "dieses signal-cli kennt die Anfrage nicht; signal-cli aktualisieren ({1})",
    ),
    (
        "the request named an account or parameter signal-cli does not have ({1})",
        "die Anfrage nannte ein Konto oder einen Parameter, den signal-cli nicht hat ({1})",
    ),
    (
        "signal-cli failed internally; see its log ({1})",
        "signal-cli ist intern gescheitert; siehe sein Protokoll ({1})",
    ),
    (
        "signal-cli reported an error ({1})",
        "signal-cli meldete einen Fehler ({1})",
    ),
];
