//! What comes back: notifications from the engine and the data loaded after them.

use super::*;

impl App {
    pub(super) fn on_notification(&mut self, n: Notification) -> Vec<Effect> {
        match n {
            Notification::Inbox => vec![Effect::Load(Query::Inbox)],
            Notification::Conversation(id) => {
                if self.open.as_ref().is_some_and(|o| o.id == id) {
                    self.reload_open()
                } else {
                    vec![]
                }
            }
            Notification::Message(_) => self.reload_open(),
            Notification::Health => {
                vec![
                    Effect::Load(Query::Health),
                    Effect::Load(Query::ArchiveProblem),
                    Effect::Load(Query::Invites),
                    Effect::Load(Query::Links),
                ]
            }
            Notification::CaughtUp => vec![],
            // Attached to the daemon again (or lost it): what is shown may be stale.
            Notification::Seat => {
                let mut e = vec![
                    Effect::Load(Query::Seat),
                    Effect::Load(Query::Answering),
                    Effect::Load(Query::Inbox),
                    Effect::Load(Query::Health),
                    Effect::Load(Query::ArchiveProblem),
                ];
                e.extend(self.reload_open());
                e
            }
            Notification::Typing => {
                vec![Effect::Load(Query::Typing), Effect::Load(Query::Answering)]
            }
            Notification::Backfilled(id) => {
                let Some(open) = self.open.as_mut().filter(|o| o.id == id) else {
                    return vec![];
                };
                if open.backfill != Backfill::Pending {
                    return vec![];
                }
                open.backfill = Backfill::Returned;
                open.loading_older = true;
                vec![Effect::Load(Query::Conversation {
                    id,
                    before: open.messages.first().map(|m| m.id),
                    limit: self.cfg.history_page,
                    focus: None,
                })]
            }
        }
    }

    /// The open conversation's consent state and footer preview, once loaded.
    pub fn open_outlook(&self) -> Option<&crate::compliance::Outlook> {
        let open = self.open.as_ref()?;
        self.outlook
            .as_ref()
            .filter(|(id, _)| *id == open.id)
            .map(|(_, o)| o)
    }

    pub(super) fn reload_open(&self) -> Vec<Effect> {
        match &self.open {
            Some(o) => vec![
                Effect::Load(Query::Conversation {
                    id: o.id,
                    before: None,
                    limit: o.messages.len().max(self.cfg.history_page),
                    focus: None,
                }),
                Effect::Load(self.outlook_query(o.id)),
                Effect::Load(Query::Scheduled(o.id)),
            ],
            None => vec![],
        }
    }

    pub(super) fn on_loaded(&mut self, l: Loaded) -> Vec<Effect> {
        match l {
            Loaded::Inbox(list) => {
                let keep = self.selected_conversation().map(|c| c.id);
                // Stored drafts fill in what this session has not touched; what it has
                // touched is newer than a store read that may predate the write.
                for c in &list {
                    self.drafts
                        .entry(c.id)
                        .or_insert_with(|| c.draft.clone().unwrap_or_default());
                }
                let alerts = self.alerts(&list);
                self.conversations = list;
                self.loaded_once = true;
                self.refilter_keeping(keep);
                // A message arriving in the conversation being read is read.
                if self.focus != Focus::Inbox
                    && !self.open.as_ref().is_some_and(|o| o.peek)
                    && let Some(c) = self.open_conversation()
                    && c.unread > 0
                {
                    let mut effects = alerts;
                    effects.push(Effect::Command(Command::Viewed(c.id)));
                    return effects;
                }
                alerts
            }
            Loaded::Conversation {
                id,
                messages,
                older,
                limit,
                focus,
            } => {
                let Some(open) = self.open.as_mut().filter(|o| o.id == id) else {
                    return vec![];
                };
                if older {
                    open.loading_older = false;
                    open.exhausted = messages.len() < limit;
                    if open.backfill == Backfill::Returned {
                        open.backfill = if messages.is_empty() {
                            Backfill::Done
                        } else {
                            Backfill::Idle
                        };
                    }
                    let known: std::collections::HashSet<MessageId> =
                        open.messages.iter().map(|m| m.id).collect();
                    let mut merged: Vec<Message> = messages
                        .into_iter()
                        .filter(|m| !known.contains(&m.id))
                        .collect();
                    merged.append(&mut open.messages);
                    open.messages = merged;
                } else {
                    let shown_newest = open.messages.last().map(|m| m.id);
                    let grew = messages.len().saturating_sub(open.messages.len());
                    open.exhausted = messages.len() < limit;
                    open.messages = messages;
                    // Someone scrolled back to read: new messages must not move the text.
                    if open.scroll > 0 && open.messages.last().map(|m| m.id) != shown_newest {
                        open.scroll += grew;
                    }
                }
                if let Some(f) = focus
                    && let Some(pos) = open.messages.iter().position(|m| m.id == f)
                {
                    open.highlight = Some(f);
                    open.scroll = open.messages.len() - 1 - pos;
                }
                open.scroll = open.scroll.min(open.messages.len().saturating_sub(1));
                self.request_photos()
            }
            Loaded::Search { query, hits } => {
                if hits.is_empty() {
                    self.flash = Some(format!(
                        "{} „{query}“",
                        self.lang().t("Keine Treffer für", "No results for")
                    ));
                    self.overlay = None;
                } else {
                    self.overlay = Some(Overlay::SearchResults { selected: 0 });
                }
                self.search = SearchState {
                    query,
                    hits,
                    index: 0,
                };
                vec![]
            }
            Loaded::Health(h) => {
                self.health = h;
                vec![]
            }
            Loaded::ArchiveProblem(p) => {
                self.archive_problem = p;
                vec![]
            }
            Loaded::Seat(s) => {
                self.seat = s;
                vec![]
            }
            Loaded::Answering(list) => {
                self.answering = list.into_iter().collect();
                vec![]
            }
            Loaded::Scheduled(id, list) => {
                if self.open.as_ref().is_some_and(|o| o.id == id) {
                    self.scheduled = list;
                }
                vec![]
            }
            Loaded::Outlook(id, outlook) => {
                if self.open.as_ref().is_some_and(|o| o.id == id) {
                    self.outlook = outlook.map(|o| (id, o));
                }
                vec![]
            }
            Loaded::Invites(list) => {
                self.invites = list
                    .into_iter()
                    .filter(|(_, i)| !self.ignored_invites.contains(&i.remote_id))
                    .collect();
                if let Some(Overlay::Invites { selected }) = &mut self.overlay {
                    *selected = (*selected).min(self.invites.len().saturating_sub(1));
                }
                vec![]
            }
            Loaded::Typing(map) => {
                self.typing = map;
                vec![]
            }
            Loaded::Links(map) => {
                if let Some(Overlay::Link { account }) = &self.overlay
                    && let Some(LinkState::Linked { number }) = map.get(account)
                    && self.links.get(account) != map.get(account)
                {
                    self.flash = Some(format!(
                        "{} {number}",
                        self.lang().t("Signal gekoppelt:", "Signal linked:")
                    ));
                }
                self.links = map;
                vec![]
            }
            Loaded::Done(text) => {
                self.flash = Some(text);
                vec![]
            }
            Loaded::Failed(text) => {
                self.flash = Some(super::reasons::in_lang(&text, self.lang()));
                vec![]
            }
        }
    }

    /// The bell and a desktop notification when a customer wrote since the last load
    /// (not for what was there at start; neither in quiet hours; no desktop
    /// notification while the terminal is in front), and the window title when the
    /// number of unread conversations changed.
    fn alerts(&mut self, list: &[Conversation]) -> Vec<Effect> {
        let mut effects = Vec::new();
        let wrote: Vec<&Conversation> = list
            .iter()
            .filter(|c| {
                self.loaded_once && c.unread > self.seen_unread.get(&c.id).copied().unwrap_or(0)
            })
            .collect();
        self.seen_unread = list.iter().map(|c| (c.id, c.unread)).collect();
        let quiet = self
            .cfg
            .quiet
            .is_some_and(|span| super::when::within(self.now, span));
        if !wrote.is_empty() && self.cfg.bell && !quiet {
            effects.push(Effect::Bell);
        }
        if self.cfg.desktop && !quiet && self.focused != Some(true) {
            // A burst from many customers is a few notifications, not a flood.
            for c in wrote.iter().take(NOTIFY_MAX) {
                effects.push(notification(c));
            }
        }
        let unread = list.iter().filter(|c| c.is_unread()).count();
        if self.cfg.title && self.titled != Some(unread) {
            self.titled = Some(unread);
            effects.push(Effect::Title(unread));
        }
        effects
    }

    pub(super) fn refilter(&mut self) {
        let keep = self.selected_conversation().map(|c| c.id);
        self.refilter_keeping(keep);
    }

    pub(super) fn refilter_keeping(&mut self, keep: Option<ConversationId>) {
        let now = self.now;
        let f = &self.filter;
        self.visible = self
            .conversations
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                f.state.accepts(c.state.effective(now))
                    && f.channel.is_none_or(|ch| c.channel == ch)
                    && (!f.unread_only || c.is_unread())
                    && f.label.as_ref().is_none_or(|l| c.labels.contains(l))
                    && (!f.queue || c.waiting_since.is_some())
            })
            .map(|(i, _)| i)
            .collect();
        // Urgent conversations are pinned at the top, newest first like the rest (in
        // the queue: who has waited longest first).
        let conversations = &self.conversations;
        if self.filter.queue {
            self.visible
                .sort_by_key(|&i| (!conversations[i].urgent, conversations[i].waiting_since));
        } else {
            self.visible.sort_by_key(|&i| !conversations[i].urgent);
        }
        if let Some(id) = keep
            && let Some(pos) = self
                .visible
                .iter()
                .position(|&i| self.conversations[i].id == id)
        {
            self.selected = pos;
        }
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
        self.keep_selection_visible();
    }

    pub(super) fn keep_selection_visible(&mut self) {
        let h = self.list_height();
        if self.selected < self.list_offset {
            self.list_offset = self.selected;
        } else if self.selected >= self.list_offset + h {
            self.list_offset = self.selected + 1 - h;
        }
        let max_offset = self.visible.len().saturating_sub(h);
        self.list_offset = self.list_offset.min(max_offset);
    }
}

/// Desktop notifications for one load at most (the rest show in the inbox).
const NOTIFY_MAX: usize = 3;

/// "Familie Aydın · WhatsApp" and the first 100 characters of what they wrote, free of
/// control characters.
fn notification(c: &Conversation) -> Effect {
    let clean = |s: &str| crate::domain::sanitize_for_terminal(s, false).into_owned();
    let mut body: String = clean(&c.last_preview).chars().take(100).collect();
    if c.urgent {
        body = format!("‼ {body}");
    }
    Effect::Notify {
        summary: format!("{} · {}", clean(&c.title), c.channel.display_name()),
        body,
    }
}
