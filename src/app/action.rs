//! Everything a user can do, as data. Key bindings, the help overlay and `docs/config.md`
//! all come from this one table, so they cannot drift apart.

use serde::{Deserialize, Serialize};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Inbox,
    Conversation,
    Composer,
    /// A one-line prompt: search, jump, labels.
    Prompt,
    /// A list overlay: search results, jump matches, quick replies.
    Picker,
    Help,
}

macro_rules! actions {
    ($( $variant:ident $name:literal [$($ctx:ident),*] [$($key:literal),*] $de:literal $en:literal; )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Action { $($variant,)* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name used in `[keymap]`.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }

            pub fn contexts(self) -> &'static [Context] {
                match self { $(Action::$variant => &[$(Context::$ctx),*],)* }
            }

            pub fn default_keys(self) -> &'static [&'static str] {
                match self { $(Action::$variant => &[$($key),*],)* }
            }

            /// (German, English) description for the help overlay.
            pub fn description(self) -> (&'static str, &'static str) {
                match self { $(Action::$variant => ($de, $en),)* }
            }
        }
    };
}

actions! {
    Quit "quit" [Inbox] ["q", "ctrl-c"] "Beenden" "Quit";
    Help "help" [Inbox, Conversation, Help] ["?", "f1"] "Hilfe zu allen Tasten" "Help for every key";
    StaffInfo "staff_info" [Inbox, Conversation, Help] ["P"] "Was tresen über mich speichert" "What tresen stores about me";
    Next "next" [Inbox, Conversation, Prompt, Picker, Help] ["j", "down"] "Nächster Eintrag / weiter unten" "Next item / scroll down";
    Prev "prev" [Inbox, Conversation, Prompt, Picker, Help] ["k", "up"] "Vorheriger Eintrag / weiter oben" "Previous item / scroll up";
    First "first" [Inbox, Conversation, Help] ["g", "home"] "Zum Anfang" "Go to the top";
    Last "last" [Inbox, Conversation, Help] ["G", "end"] "Zum Ende" "Go to the bottom";
    PageDown "page_down" [Inbox, Conversation, Picker, Help] ["ctrl-d", "pgdown"] "Seite nach unten" "Page down";
    PageUp "page_up" [Inbox, Conversation, Picker, Help] ["ctrl-u", "pgup"] "Seite nach oben" "Page up";
    Open "open" [Inbox, Picker] ["enter", "l", "right"] "Unterhaltung öffnen" "Open conversation";
    Back "back" [Conversation, Picker, Help] ["esc", "h", "left"] "Zurück" "Back";
    NextUnread "next_unread" [Inbox, Conversation] ["n"] "Nächste ungelesene Unterhaltung" "Next unread conversation";
    Invites "invites" [Inbox, Conversation] ["I"] "Einladungen: als geschäftlich annehmen oder ignorieren" "Invites: accept as business or ignore";
    LinkDevice "link_device" [Inbox, Conversation] ["L"] "Signal-Nummer koppeln: QR-Code mit dem Geschäftshandy scannen" "Link the Signal number: scan the QR code with the business phone";
    IgnoreInvite "ignore_invite" [Picker] ["x", "delete"] "Einladung ignorieren (nichts wird gespeichert)" "Ignore the invite (nothing is stored)";
    CancelScheduled "cancel_scheduled" [Conversation] ["X"] "Geplante Nachricht zurückziehen (die nächste hier)" "Withdraw a scheduled message (the next one here)";
    Quote "quote" [Conversation] [">"] "Auf die letzte Kundennachricht antworten (zitiert)" "Reply quoting the customer's last message";
    React "react" [Conversation] ["+"] "Mit Emoji auf die letzte Kundennachricht reagieren" "React with an emoji to the customer's last message";
    Links "links" [Conversation] ["b"] "Links der Unterhaltung im Browser öffnen" "Open the conversation's links in the browser";
    Copy "copy" [Inbox, Conversation] ["y"] "Kopieren: Kundennachricht, Nummer oder Name (in die Zwischenablage, auch über SSH)" "Copy the customer's message, number or name (to the clipboard, over SSH too)";
    Attachments "attachments" [Conversation] ["a"] "Anhänge der Unterhaltung: öffnen oder speichern" "Attachments of the conversation: open or save";
    SaveAttachment "save_attachment" [Picker] ["s"] "Anhang im Download-Ordner speichern" "Save the attachment to the downloads folder";
    Jump "jump" [Inbox, Conversation] ["f", "ctrl-k"] "Springen zu Kunde oder Nummer (unscharf)" "Jump to customer or number (fuzzy)";
    Search "search" [Inbox, Conversation] ["/"] "Volltextsuche in allen Unterhaltungen" "Full-text search in all conversations";
    NextHit "next_hit" [Conversation] ["ctrl-n"] "Nächster Suchtreffer" "Next search hit";
    PrevHit "prev_hit" [Conversation] ["ctrl-p"] "Vorheriger Suchtreffer" "Previous search hit";
    Reply "reply" [Inbox, Conversation] ["r", "i"] "Antworten" "Reply";
    Note "note" [Inbox, Conversation] ["m"] "Interne Notiz (wird nie gesendet)" "Internal note (never sent)";
    QuickReply "quick_reply" [Inbox, Conversation] ["Q"] "Textbaustein einfügen" "Insert a canned response";
    SetOpen "set_open" [Inbox, Conversation] ["o"] "Status: offen" "State: open";
    SetWaiting "set_waiting" [Inbox, Conversation] ["w"] "Wartet auf Kundschaft, mit Nachfass-Termin (Standard: in 2 Werktagen)" "Waiting for the customer, with a follow-up date (default: in 2 working days)";
    Snooze "snooze" [Inbox, Conversation] ["z"] "Zurückstellen: heute 14:00, morgen 8:00, nächster Werktag 8:00 oder Datum" "Snooze: today 14:00, tomorrow 8:00, next working day 8:00 or a date";
    Done "done" [Inbox, Conversation] ["d"] "Status: erledigt" "State: done";
    Retry "retry" [Conversation] ["R"] "Fehlgeschlagene oder unklar zugestellte Nachricht erneut senden" "Send a failed (or possibly undelivered) message again";
    MarkUnread "mark_unread" [Inbox, Conversation] ["u"] "Als ungelesen markieren" "Mark unread";
    Assign "assign" [Inbox, Conversation] ["A"] "Mir zuweisen / Zuweisung aufheben" "Assign to me / unassign";
    Labels "labels" [Inbox, Conversation] ["t"] "Labels bearbeiten" "Edit labels";
    Restrict "restrict" [Conversation] ["S"] "Letzte Kundennachricht einschränken: Art. 9 DSGVO oder Daten Dritter (nur Inhaber/in sieht sie)" "Restrict the customer's last message: Art. 9 GDPR or third parties' data (only the owner sees it)";
    OrderSteps "order" [Inbox, Conversation] ["O"] "Angebot/Auftrag: Verbraucher, angenommen (mit Widerrufsbelehrung), abgelehnt, Arbeitsbeginn" "Offer/order: consumer, accepted (with the Widerrufsbelehrung), declined, work begins";
    CorrectContact "correct_contact" [Inbox, Conversation] ["K"] "Namen der Kundschaft berichtigen (neue Fassung; alte Nachrichten behalten den alten Namen)" "Correct the customer's name (a new version; earlier messages keep the old name)";
    FilterState "filter_state" [Inbox] ["s"] "Filter: Status wechseln" "Filter: cycle state";
    FilterNetwork "filter_network" [Inbox] ["N"] "Filter: Netzwerk wechseln" "Filter: cycle network";
    FilterUnread "filter_unread" [Inbox] ["U"] "Filter: nur ungelesene" "Filter: unread only";
    FilterLabel "filter_label" [Inbox] ["T"] "Filter: Label" "Filter: label";
    Queue "queue" [Inbox] ["W"] "Warteschlange: wer am längsten auf eine Antwort wartet, zuerst (Wartezeit je Unterhaltung)" "Queue: who has waited longest for an answer first (waiting time per conversation)";
    ClearFilters "clear_filters" [Inbox] ["x"] "Alle Filter aufheben" "Clear all filters";
    Send "send" [Composer] ["enter"] "Senden (Notiz: speichern)" "Send (note: save)";
    Newline "newline" [Composer] ["alt-enter", "ctrl-j"] "Neue Zeile" "New line";
    Attach "attach" [Composer] ["ctrl-o"] "Datei anhängen (Pfad eingeben)" "Attach a file (enter its path)";
    ScheduleSend "schedule_send" [Composer] ["ctrl-t"] "Später senden: Zeitpunkt wählen (wird dann gesendet, mit den Regeln von dann)" "Send later: pick the time (sent then, under the rules of then)";
    Editor "editor" [Composer] ["ctrl-e"] "Im $EDITOR schreiben" "Write in $EDITOR";
    Cancel "cancel" [Composer, Prompt] ["esc"] "Abbrechen (Entwurf bleibt erhalten)" "Cancel (the draft is kept)";
    Submit "submit" [Prompt] ["enter"] "Bestätigen" "Confirm";
}

/// The contexts shown in the help overlay, in order.
pub const HELP_CONTEXTS: [Context; 5] = [
    Context::Inbox,
    Context::Conversation,
    Context::Composer,
    Context::Prompt,
    Context::Picker,
];

/// Lines of the help overlay: a heading per context, a line per binding, two closing lines.
pub fn help_line_count() -> usize {
    HELP_CONTEXTS
        .iter()
        .map(|c| {
            1 + Action::ALL
                .iter()
                .filter(|a| a.contexts().contains(c))
                .count()
        })
        .sum::<usize>()
        // The editing keys and the legend of the screen's signs (a heading each), the
        // blank line and the last line.
        + 1
        + EDITING_KEYS
        + 1
        + LEGEND_SIGNS
        + 2
}

/// Lines on the editing keys in the help overlay (ui::overlay lists them).
pub const EDITING_KEYS: usize = 7;
/// Signs the help overlay's legend explains (ui::overlay's table).
pub const LEGEND_SIGNS: usize = 17;

impl std::str::FromStr for Action {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| format!("unknown action `{s}`"))
    }
}
