//! Moving around: selection, opening conversations, drafts kept on the way, unread and search hits.

use super::*;

impl App {
    pub(super) fn move_by(&mut self, ctx: Context, delta: isize) -> Vec<Effect> {
        let step = |cur: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (cur as isize)
                .saturating_add(delta)
                .clamp(0, len as isize - 1) as usize
        };
        match (&mut self.overlay, ctx) {
            (Some(_), _) => self.overlay_move(delta).unwrap_or_default(),
            (None, Context::Conversation) => {
                let page = self.cfg.history_page;
                let Some(open) = self.open.as_mut() else {
                    return vec![];
                };
                // In the timeline "down" means newer, i.e. less scrolled back.
                let len = open.messages.len();
                open.scroll = (open.scroll as isize)
                    .saturating_sub(delta)
                    .clamp(0, len.saturating_sub(1) as isize)
                    as usize;
                open.highlight = None;
                let near_top = len.saturating_sub(open.scroll) <= 3;
                if near_top && !open.exhausted && !open.loading_older && len > 0 {
                    open.loading_older = true;
                    return vec![Effect::Load(Query::Conversation {
                        id: open.id,
                        before: Some(open.messages[0].id),
                        limit: page,
                        focus: None,
                    })];
                }
                // The store has no more: ask the network for older history, once at a time.
                if near_top && open.exhausted && open.backfill == Backfill::Idle && delta < 0 {
                    open.backfill = Backfill::Pending;
                    let id = open.id;
                    self.flash = Some(
                        self.lang()
                            .t(
                                "Ältere Nachrichten werden vom Server geladen …",
                                "Loading older messages from the server …",
                            )
                            .into(),
                    );
                    return vec![Effect::Command(Command::Backfill { conversation: id })];
                }
                vec![]
            }
            (None, _) => {
                self.selected = step(self.selected, self.visible.len());
                self.keep_selection_visible();
                self.preview_selected()
            }
        }
    }

    /// With both panes on screen the right one shows the highlighted conversation.
    /// Looking is not reading: it stays unread until it is opened or written in.
    pub(super) fn preview_selected(&mut self) -> Vec<Effect> {
        if !self.two_panes() || self.focus != Focus::Inbox {
            return vec![];
        }
        let Some(id) = self.selected_conversation().map(|c| c.id) else {
            return vec![];
        };
        if self.open.as_ref().is_some_and(|o| o.id == id) {
            return vec![];
        }
        let mut effects = self.open_id(id, Focus::Inbox, None);
        effects.retain(|e| *e != Effect::Command(Command::Viewed(id)));
        if let Some(o) = self.open.as_mut() {
            o.peek = true;
        }
        effects
    }

    /// Opens the selected conversation and moves focus there (or into the composer).
    pub(super) fn open_selected(&mut self, focus: Focus) -> Vec<Effect> {
        let Some(id) = self.selected_conversation().map(|c| c.id) else {
            return vec![];
        };
        self.open_id(id, focus, None)
    }

    pub(super) fn open_id(
        &mut self,
        id: ConversationId,
        focus: Focus,
        at: Option<MessageId>,
    ) -> Vec<Effect> {
        let same = self.open.as_ref().is_some_and(|o| o.id == id);
        let mut effects = Vec::new();
        if !same {
            effects = self.stash_draft();
            self.put_tags_aside();
            self.quoting = None;
            self.open = Some(OpenConversation {
                id,
                messages: Vec::new(),
                scroll: 0,
                exhausted: false,
                loading_older: false,
                highlight: None,
                backfill: Backfill::Idle,
                peek: false,
            });
            self.composer = TextInput::with_text(self.drafts.get(&id).map_or("", |s| s.as_str()));
            self.compose_mode = ComposeMode::Reply;
        }
        self.focus = focus;
        if !same || at.is_some() {
            effects.push(Effect::Load(Query::Conversation {
                id,
                before: None,
                limit: self.cfg.history_page,
                focus: at,
            }));
            if !same {
                self.compose_tags = self.draft_tags.remove(&id).unwrap_or_default();
            }
            effects.push(Effect::Load(self.outlook_query(id)));
            if !same {
                self.scheduled.clear();
            }
            effects.push(Effect::Load(Query::Scheduled(id)));
        }
        if let Some(o) = self.open.as_mut() {
            o.peek = false;
        }
        effects.push(Effect::Command(Command::Viewed(id)));
        effects
    }

    /// Opens `id` from a search hit or a jump: an unread conversation stays unread
    /// (and says so) until staff write in it or open it from the list.
    pub(super) fn peek_id(
        &mut self,
        id: ConversationId,
        focus: Focus,
        at: Option<MessageId>,
    ) -> Vec<Effect> {
        let unread = self
            .conversations
            .iter()
            .any(|c| c.id == id && c.is_unread());
        let mut effects = self.open_id(id, focus, at);
        if unread {
            effects.retain(|e| *e != Effect::Command(Command::Viewed(id)));
            if let Some(o) = self.open.as_mut() {
                o.peek = true;
            }
            self.flash = Some(
                self.lang()
                    .t(
                        "Bleibt ungelesen, bis Sie hier schreiben oder es aus der Liste öffnen",
                        "Stays unread until you write here or open it from the list",
                    )
                    .into(),
            );
        }
        effects
    }

    /// Writing in a conversation opened in passing reads it.
    pub(super) fn read_if_peeked(&mut self) -> Vec<Effect> {
        match self.open.as_mut() {
            Some(o) if o.peek => {
                o.peek = false;
                vec![Effect::Command(Command::Viewed(o.id))]
            }
            _ => vec![],
        }
    }

    /// Remembers the reply being written in the open conversation and, if it changed,
    /// has the engine keep it, so a draft survives switching, leaving and quitting.
    /// Notes are never kept as drafts: they are short, and must never become a reply.
    pub(super) fn stash_draft(&mut self) -> Vec<Effect> {
        let mut effects = self.stop_typing();
        let Some(id) = self.open.as_ref().map(|o| o.id) else {
            return effects;
        };
        if self.compose_mode != ComposeMode::Reply {
            return effects;
        }
        let text = self.composer.text().to_string();
        if self.drafts.get(&id).map_or("", String::as_str) == text {
            return effects;
        }
        self.drafts.insert(id, text.clone());
        effects.push(Effect::Command(Command::Local(LocalChange::SetDraft {
            conversation: id,
            body: text,
        })));
        effects
    }

    /// The kept draft of a conversation, if any.
    pub fn draft(&self, id: ConversationId) -> Option<&str> {
        self.drafts
            .get(&id)
            .map(String::as_str)
            .filter(|d| !d.trim().is_empty())
    }

    pub(super) fn next_unread(&mut self) -> Vec<Effect> {
        let n = self.visible.len();
        let current = self
            .open
            .as_ref()
            .filter(|_| self.focus != Focus::Inbox)
            .and_then(|o| {
                self.visible
                    .iter()
                    .position(|&i| self.conversations[i].id == o.id)
            })
            .unwrap_or(self.selected);
        // From the list, the selected conversation is the first candidate: `n` on an
        // unread one opens it rather than skipping to the next.
        let first = usize::from(self.focus != Focus::Inbox);
        for step in first..first + n {
            let pos = (current + step) % n;
            if self.conversations[self.visible[pos]].is_unread() {
                self.selected = pos;
                self.keep_selection_visible();
                return self.open_selected(Focus::Conversation);
            }
        }
        self.flash = Some(
            self.lang()
                .t(
                    "Keine ungelesenen Unterhaltungen",
                    "No unread conversations",
                )
                .into(),
        );
        vec![]
    }

    pub(super) fn open_hit(&mut self) -> Vec<Effect> {
        let Some(hit) = self.search.hits.get(self.search.index).cloned() else {
            return vec![];
        };
        if let Some(pos) = self
            .visible
            .iter()
            .position(|&i| self.conversations[i].id == hit.conversation)
        {
            self.selected = pos;
            self.keep_selection_visible();
        }
        self.peek_id(hit.conversation, Focus::Conversation, hit.message)
    }

    pub(super) fn step_hit(&mut self, delta: isize) -> Vec<Effect> {
        let n = self.search.hits.len();
        if n == 0 {
            self.flash = Some(
                self.lang()
                    .t(
                        "Keine Suche aktiv (/ sucht)",
                        "No active search (/ searches)",
                    )
                    .into(),
            );
            return vec![];
        }
        self.search.index = (self.search.index as isize + delta).rem_euclid(n as isize) as usize;
        self.open_hit()
    }
}
