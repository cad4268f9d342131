//! Writing to the customer: the composer, reactions, typing notices, attachments, quick replies, sending and sending again.

use super::*;

impl App {
    pub(super) fn compose(&mut self, mode: ComposeMode) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.focus == Focus::Inbox {
            effects = self.open_selected(Focus::Conversation);
        }
        if self.open.is_none() {
            return effects;
        }
        effects.extend(self.read_if_peeked());
        if mode != self.compose_mode {
            // A note and a reply never share text: a note must not be sent by accident.
            effects.extend(self.stash_draft());
            self.composer = match mode {
                ComposeMode::Reply => TextInput::with_text(
                    self.open
                        .as_ref()
                        .and_then(|o| self.drafts.get(&o.id))
                        .map_or("", |s| s.as_str()),
                ),
                ComposeMode::Note => TextInput::default(),
            };
            self.compose_mode = mode;
        }
        self.focus = Focus::Composer;
        effects
    }

    /// The message a reaction goes to: the customer's newest message that the network
    /// knows.
    pub fn react_target(&self) -> Option<&Message> {
        self.open.as_ref()?.messages.iter().rev().find(|m| {
            m.kind == crate::domain::MessageKind::Chat
                && m.direction == crate::domain::Direction::Inbound
                && m.remote_id.is_some()
        })
    }

    /// A message of the open conversation by id.
    pub fn open_message(&self, id: MessageId) -> Option<&Message> {
        self.open.as_ref()?.messages.iter().find(|m| m.id == id)
    }

    pub(super) fn react(&mut self, idx: usize, target: MessageId) -> Vec<Effect> {
        self.overlay = None;
        let Some(key) = crate::domain::QUICK_REACTIONS.get(idx) else {
            return vec![];
        };
        let Some(m) = self.open_message(target) else {
            return vec![];
        };
        let message = m.id;
        let preview: String = m.display_body().chars().take(30).collect();
        self.flash = Some(format!("{key} → „{preview}“"));
        vec![Effect::Command(Command::React {
            message,
            key: (*key).to_string(),
        })]
    }

    /// A "typing" notice while a reply (never a note) is written: at most one every
    /// 5 s; the network shows it for a while on its own.
    pub(super) fn typing_effects(&mut self) -> Vec<Effect> {
        if self.focus != Focus::Composer
            || self.compose_mode != ComposeMode::Reply
            || self.overlay.is_some()
        {
            return vec![];
        }
        let Some(id) = self.open.as_ref().map(|o| o.id) else {
            return vec![];
        };
        let fresh = matches!(self.typing_sent, Some((c, t)) if c == id && self.now.0 - t.0 < 5_000);
        if fresh || self.composer.is_empty() {
            return vec![];
        }
        if !matches!(self.typing_sent, Some((c, _)) if c == id) {
            self.reply_started = Some((id, self.now));
        }
        self.typing_sent = Some((id, self.now));
        vec![Effect::Command(Command::Typing {
            conversation: id,
            typing: true,
            network: self.cfg.send_typing,
        })]
    }

    /// Ends a "typing" notice that went out (reply sent, composer left).
    pub(super) fn stop_typing(&mut self) -> Vec<Effect> {
        match self.typing_sent.take() {
            Some((conversation, _)) => vec![Effect::Command(Command::Typing {
                conversation,
                typing: false,
                network: self.cfg.send_typing,
            })],
            None => vec![],
        }
    }

    /// Attachments of the loaded messages of the open conversation, newest first.
    pub fn attachments(&self) -> Vec<(&Message, usize)> {
        let Some(open) = &self.open else {
            return vec![];
        };
        open.messages
            .iter()
            .rev()
            .flat_map(|m| (0..m.attachments.len()).map(move |i| (m, i)))
            .collect()
    }

    pub(super) fn attachment_effect(&mut self, idx: usize, open: bool) -> Vec<Effect> {
        let Some((m, index)) = self.attachments().get(idx).map(|(m, i)| (m.id, *i)) else {
            return vec![];
        };
        self.overlay = None;
        self.flash = Some(
            self.lang()
                .t("Anhang wird geholt …", "Fetching the attachment …")
                .into(),
        );
        vec![Effect::Attachment {
            message: m,
            index,
            open,
        }]
    }

    pub(super) fn accept_invite(&mut self, idx: usize) -> Vec<Effect> {
        if idx >= self.invites.len() {
            return vec![];
        }
        let (account, invite) = self.invites.remove(idx);
        self.flash = Some(format!(
            "{} „{}“",
            self.lang()
                .t("Als geschäftlich angenommen:", "Accepted as business:"),
            invite.title
        ));
        self.close_invites_if_empty(idx);
        vec![Effect::Command(Command::AcceptInvite {
            account,
            remote_id: invite.remote_id,
        })]
    }

    /// Shows the link overlay and, unless a code is already waiting to be scanned,
    /// asks for a new one (again after a failure).
    pub(super) fn link(&mut self, account: AccountId) -> Vec<Effect> {
        let state = self.links.get(&account).cloned();
        self.overlay = Some(Overlay::Link {
            account: account.clone(),
        });
        match state {
            Some(LinkState::Needed | LinkState::Failed(_)) => {
                vec![Effect::Command(Command::Link { account })]
            }
            _ => vec![],
        }
    }

    pub(super) fn close_invites_if_empty(&mut self, removed: usize) {
        if self.invites.is_empty() {
            self.overlay = None;
        } else if let Some(Overlay::Invites { selected }) = &mut self.overlay {
            *selected = removed.min(self.invites.len() - 1);
        }
    }

    /// Bracketed paste: terminals send line breaks as CR (and Windows text has CRLF);
    /// what is sent is what the composer shows, so both become LF. A one-line field
    /// (search, jump, labels) takes the text as one line.
    pub(super) fn paste(&mut self, text: &str) -> Vec<Effect> {
        let text = crate::domain::unix_newlines(text);
        if self.overlay.is_none() && self.focus == Focus::Composer {
            self.composer.insert_str(&text);
            return self.typing_effects();
        }
        if self.overlay.is_none() {
            return vec![];
        }
        let Some(input) = self.text_input() else {
            return vec![];
        };
        let line: String = text
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        input.insert_str(&line);
        self.after_edit();
        vec![]
    }

    /// The reply in the composer came from a quick reply with document tags or a
    /// Vordruck mark: it goes out with them.
    pub fn composing_tagged(&self) -> bool {
        !self.compose_tags.0.is_empty() || self.compose_tags.1
    }

    /// The reply being put aside keeps its quick reply's tags for when it is reopened
    /// (as long as the inbox runs; the kept draft text outlives it, the tags do not).
    pub(super) fn put_tags_aside(&mut self) {
        if let Some(id) = self.open.as_ref().map(|o| o.id)
            && self.composing_tagged()
        {
            self.draft_tags
                .insert(id, std::mem::take(&mut self.compose_tags));
        }
    }

    /// A scheduled message goes out without tags; the Widerrufsbelehrung an order waits
    /// for must be on record as sent, so a tagged reply goes now or not at all.
    pub(super) fn refuse_tagged_schedule(&mut self) -> bool {
        let tagged = self.composing_tagged();
        if tagged {
            self.flash = Some(
                self.lang()
                    .t(
                        "Eine Nachricht aus einer gekennzeichneten Vorlage (🏷) lässt sich nicht planen: jetzt senden (Eingabe) oder den Text leeren",
                        "A message from a tagged quick reply (🏷) cannot be scheduled: send it now (Enter) or clear the text",
                    )
                    .into(),
            );
        }
        tagged
    }

    /// A quick reply's tags belong to its text: once the composer is emptied they go
    /// too, and the footer preview is asked for again without them.
    pub(super) fn drop_tags_if_empty(&mut self) -> Vec<Effect> {
        if !self.composing_tagged()
            || self.overlay.is_some()
            || self.focus != Focus::Composer
            || self.compose_mode != ComposeMode::Reply
            || !self.composer.text().trim().is_empty()
        {
            return vec![];
        }
        self.compose_tags = (Vec::new(), false);
        self.open
            .as_ref()
            .map(|o| vec![Effect::Load(Query::Outlook(o.id))])
            .unwrap_or_default()
    }

    /// The composer's outlook query: with the quick reply's tags while they apply.
    pub(super) fn outlook_query(&self, id: ConversationId) -> Query {
        let (tags, vordruck) = &self.compose_tags;
        if !self.composing_tagged() {
            Query::Outlook(id)
        } else {
            Query::OutlookTagged {
                conversation: id,
                tags: tags.clone(),
                vordruck: *vordruck,
            }
        }
    }

    pub(super) fn insert_quick_reply(&mut self, idx: usize) -> Vec<Effect> {
        let Some(q) = self.cfg.quick_replies.get(idx) else {
            return vec![];
        };
        let kunde = self
            .open_conversation()
            .map(|c| {
                c.contact
                    .as_ref()
                    .map_or(c.title.clone(), |ct| ct.display_name.clone())
            })
            .unwrap_or_default();
        let text = q.fill(
            &kunde,
            &self.now.to_local().format("%d.%m.%Y").to_string(),
            &self.cfg.staff_name,
        );
        self.composer.insert_str(&text);
        self.focus = Focus::Composer;
        // A reply written from a tagged quick reply goes out with its tags (the footer
        // an offer needs, the Widerrufsbelehrung an order waits for); a note has none.
        let (tags, vordruck) = (q.tags.clone(), q.vordruck);
        if self.compose_mode != ComposeMode::Reply || (tags.is_empty() && !vordruck) {
            return vec![];
        }
        for t in tags {
            if !self
                .compose_tags
                .0
                .iter()
                .any(|x| x.eq_ignore_ascii_case(&t))
            {
                self.compose_tags.0.push(t);
            }
        }
        self.compose_tags.1 |= vordruck;
        match self.open.as_ref().map(|o| o.id) {
            Some(id) => vec![Effect::Load(self.outlook_query(id))],
            None => vec![],
        }
    }

    pub(super) fn send(&mut self) -> Vec<Effect> {
        let Some(id) = self.open.as_ref().map(|o| o.id) else {
            return vec![];
        };
        let files = if self.compose_mode == ComposeMode::Reply {
            std::mem::take(&mut self.pending_files)
        } else {
            Vec::new()
        };
        if self.composer.text().trim().is_empty() && files.is_empty() {
            return vec![];
        }
        if self.compose_mode == ComposeMode::Reply
            && !std::mem::take(&mut self.send_anyway)
            && let Some(ago_secs) = self.answered_meanwhile(id)
        {
            // The text and the files stay where they are until the user decides.
            self.pending_files = files;
            self.overlay = Some(Overlay::AnsweredMeanwhile { ago_secs });
            return vec![];
        }
        self.reply_started = None;
        let body = self.composer.take();
        let mut effects = self.stop_typing();
        if self.compose_mode == ComposeMode::Reply && self.draft(id).is_some() {
            self.drafts.insert(id, String::new());
            effects.push(Effect::Command(Command::Local(LocalChange::SetDraft {
                conversation: id,
                body: String::new(),
            })));
        }
        self.focus = Focus::Conversation;
        if let Some(o) = self.open.as_mut() {
            o.scroll = 0;
        }
        match self.compose_mode {
            ComposeMode::Reply => {
                let (tags, vordruck) = std::mem::take(&mut self.compose_tags);
                let tagged = !tags.is_empty() || vordruck;
                effects.push(Effect::Command(Command::Send {
                    conversation: id,
                    body,
                    files,
                    reply_to: self.quoting.take().map(|(m, _)| m),
                    retry: false,
                    tags,
                    vordruck,
                }));
                if tagged {
                    effects.push(Effect::Load(Query::Outlook(id)));
                }
            }
            ComposeMode::Note => {
                // Back to the reply that was being written before the note.
                self.compose_mode = ComposeMode::Reply;
                self.composer = TextInput::with_text(self.draft(id).unwrap_or(""));
                effects.push(Effect::Command(Command::Local(LocalChange::AddNote {
                    conversation: id,
                    author: self.cfg.staff_name.clone(),
                    body,
                    at: self.now,
                })));
            }
        }
        effects
    }

    /// Seconds since someone answered conversation `id`, if it happened after this reply
    /// was begun: at another seat, or by the same person elsewhere (this seat's own
    /// sends begin a new reply). Automatic messages do not count: they answer nobody.
    fn answered_meanwhile(&self, id: ConversationId) -> Option<i64> {
        let (_, started) = self.reply_started.filter(|(c, _)| *c == id)?;
        let open = self.open.as_ref().filter(|o| o.id == id)?;
        let answer = open.messages.iter().rev().find(|m| {
            m.direction == crate::domain::Direction::Outbound
                && m.kind == crate::domain::MessageKind::Chat
                && m.sent_at > started
                && m.sender != crate::engine::AUTOMATIC
        })?;
        Some(((self.now.0 - answer.sent_at.0) / 1000).max(0))
    }

    /// The answer to "answered meanwhile — send anyway?": j/y/Enter sends, n/Esc keeps
    /// the text in the composer.
    pub(super) fn answer_meanwhile(&mut self, key: KeyCode) -> Vec<Effect> {
        match key {
            KeyCode::Char('j' | 'J' | 'y' | 'Y') | KeyCode::Enter => {
                self.overlay = None;
                self.send_anyway = true;
                self.send()
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                self.overlay = None;
                // Seen the answer: asking again for the same one would only nag.
                self.reply_started = Some((
                    self.open.as_ref().map_or(ConversationId(0), |o| o.id),
                    self.now,
                ));
                self.flash = Some(
                    self.lang()
                        .t(
                            "Nicht gesendet – Ihr Text bleibt im Eingabefeld",
                            "Not sent – your text stays in the composer",
                        )
                        .into(),
                );
                vec![]
            }
            _ => vec![],
        }
    }

    /// Sends the newest failed message of the open conversation again, as a new message;
    /// the failed one stays in the history as it was.
    pub(super) fn retry(&mut self) -> Vec<Effect> {
        let Some(open) = &self.open else {
            return vec![];
        };
        // An unclear one counts too: pressing R on it is staff's confirmation.
        let failed = open.messages.iter().rev().find(|m| {
            m.kind == crate::domain::MessageKind::Chat
                && m.direction == crate::domain::Direction::Outbound
                && matches!(
                    m.delivery,
                    crate::domain::Delivery::Failed | crate::domain::Delivery::Unclear
                )
        });
        match failed {
            Some(m) => {
                if !m.attachments.is_empty() {
                    self.flash = Some(
                        self.lang()
                            .t(
                                "Nur der Text wird erneut gesendet; Dateien bitte neu anhängen (Ctrl-O)",
                                "Only the text is sent again; attach files anew (Ctrl-O)",
                            )
                            .into(),
                    );
                }
                vec![Effect::Command(Command::Send {
                    conversation: open.id,
                    body: m.body.clone(),
                    files: Vec::new(),
                    reply_to: None,
                    retry: true,
                    tags: Vec::new(),
                    vordruck: false,
                })]
            }
            None => {
                self.flash = Some(
                    self.lang()
                        .t("Keine fehlgeschlagene Nachricht", "No failed message")
                        .into(),
                );
                vec![]
            }
        }
    }

    /// The composer's text goes out at `due`, by the engine, with the rules of then.
    pub(super) fn schedule(&mut self, due: Timestamp) -> Vec<Effect> {
        let Some(id) = self.open.as_ref().map(|o| o.id) else {
            return vec![];
        };
        if self.refuse_tagged_schedule() {
            return vec![];
        }
        self.reply_started = None;
        let body = self.composer.take();
        let mut effects = self.stop_typing();
        if self.draft(id).is_some() {
            self.drafts.insert(id, String::new());
            effects.push(Effect::Command(Command::Local(LocalChange::SetDraft {
                conversation: id,
                body: String::new(),
            })));
        }
        self.focus = Focus::Conversation;
        self.flash = Some(format!(
            "{} {}",
            self.lang().t("Geplant für", "Scheduled for"),
            super::when::moment(due, self.now, self.lang() == Lang::De)
        ));
        effects.push(Effect::Command(Command::Schedule {
            conversation: id,
            body,
            due,
        }));
        effects
    }

    /// Withdraws the open conversation's next scheduled message.
    pub(super) fn cancel_scheduled(&mut self) -> Vec<Effect> {
        let Some(s) = self
            .scheduled
            .iter()
            .find(|s| s.state == crate::domain::scheduled::ScheduledState::Waiting)
        else {
            self.flash = Some(
                self.lang()
                    .t("Keine geplante Nachricht hier", "No scheduled message here")
                    .into(),
            );
            return vec![];
        };
        let id = s.id.clone();
        self.flash = Some(format!(
            "{} {}",
            self.lang()
                .t("Zurückgezogen: geplant für", "Withdrawn: scheduled for"),
            super::when::moment(s.due, self.now, self.lang() == Lang::De)
        ));
        self.scheduled.retain(|s| s.id != id);
        vec![Effect::Command(Command::CancelScheduled { id })]
    }
}
