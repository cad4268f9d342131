//! The UI state machine: `App::update(msg) -> Vec<Effect>`, synchronous and free of IO.
//!
//! To add a feature: add an [`Action`](action::Action) with its default keys and both
//! descriptions, handle it in [`App::act`], and render what it changes in `ui`. Loading
//! data is an [`Effect::Load`] answered later by [`Msg::Loaded`]; writing is an
//! [`Effect::Command`] the engine carries out, and its notification brings the result.

pub mod action;
pub mod i18n;
pub mod input;
pub mod jump;
pub mod keymap;

use std::collections::{BTreeMap, HashMap};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use crate::config::{Config, QuickReply};
use crate::domain::{
    AccountId, Channel, Conversation, ConversationId, Health, Invite, LinkState, Message,
    MessageId, SearchHit, Timestamp, TriageState,
};
use crate::engine::Notification;
use crate::store::Op;
use action::{Action, Context};
use i18n::Lang;
use input::TextInput;
use keymap::{ChordCode, KeyChord, Keymap};

/// Settings the app needs, taken from config once at start.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub lang: Lang,
    pub profile_name: String,
    pub staff_name: String,
    pub quick_replies: Vec<QuickReply>,
    pub history_page: usize,
    pub keymap: Keymap,
    pub demo: bool,
    pub mouse: bool,
    pub send_typing: bool,
    /// What tresen stores about the person at the keyboard (R-D5), from the same
    /// configuration the gates read.
    pub staff_info: Vec<String>,
}

impl AppConfig {
    pub fn from_config(config: &Config, demo: bool) -> Self {
        Self {
            lang: config.language(),
            profile_name: config.profile.name.clone(),
            staff_name: config.staff_name(),
            quick_replies: config.quick_replies.clone(),
            history_page: config.ui.history_page,
            keymap: Keymap::new(&config.key_overrides()),
            demo,
            mouse: config.ui.mouse,
            send_typing: config.ui.send_typing,
            staff_info: crate::compliance::staff::what_is_stored(
                &config.staff_name(),
                &config.staff,
                &config.monitoring,
                config.language() == Lang::De,
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Tick(Timestamp),
    Notified(Notification),
    /// Notifications were dropped; everything on screen must be re-read.
    Lagged,
    Loaded(Loaded),
    /// `$EDITOR` finished: the new text, or why it failed.
    EditorClosed(Result<String, String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    Inbox(Vec<Conversation>),
    Conversation {
        id: ConversationId,
        messages: Vec<Message>,
        older: bool,
        limit: usize,
        focus: Option<MessageId>,
    },
    Search {
        query: String,
        hits: Vec<SearchHit>,
    },
    Health(BTreeMap<AccountId, Health>),
    ArchiveProblem(Option<String>),
    /// Invites waiting for the office's decision.
    Invites(Vec<(AccountId, Invite)>),
    /// Accounts not set up at their network, and how linking them goes.
    Links(BTreeMap<AccountId, LinkState>),
    /// Background work finished (an attachment opened or saved): a line for the status.
    Done(String),
    /// Who is typing where.
    Typing(BTreeMap<ConversationId, Vec<String>>),
    /// Consent state and footer preview of a conversation.
    Outlook(ConversationId, Option<crate::compliance::Outlook>),
    Failed(String),
}

/// Data the app asks for; the runtime answers with [`Msg::Loaded`].
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Inbox,
    Conversation {
        id: ConversationId,
        before: Option<MessageId>,
        limit: usize,
        /// Load far enough back that this message is included.
        focus: Option<MessageId>,
    },
    Search {
        query: String,
        limit: usize,
    },
    Health,
    /// Why the archive cannot be written, if it cannot (shown in the status line).
    ArchiveProblem,
    Invites,
    Links,
    Typing,
    /// The consent state and footer the composer shows for a conversation.
    Outlook(ConversationId),
}

/// Writes, carried out by the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Send {
        conversation: ConversationId,
        body: String,
        /// Paths of files to attach; the runtime reads them.
        files: Vec<String>,
        /// The customer message this answers (quoted where the network can).
        reply_to: Option<MessageId>,
        /// Sending a failed message's text again: it already carries whatever footer
        /// it needed, so nothing is added.
        retry: bool,
    },
    Local(Op),
    Viewed(ConversationId),
    AcceptInvite {
        account: AccountId,
        remote_id: String,
    },
    /// Link the account as a device of the office's phone (a QR code to scan).
    Link {
        account: AccountId,
    },
    React {
        message: MessageId,
        key: String,
    },
    Backfill {
        conversation: ConversationId,
    },
    Typing {
        conversation: ConversationId,
        typing: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Load(Query),
    Command(Command),
    OpenEditor {
        initial: String,
    },
    /// Fetch attachment `index` of `message` (downloading it if needed), then open it
    /// with the desktop's viewer or save it to the downloads folder.
    Attachment {
        message: MessageId,
        index: usize,
        open: bool,
    },
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Inbox,
    Conversation,
    Composer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeMode {
    Reply,
    Note,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    /// What tresen stores about the person at the keyboard.
    StaffInfo {
        scroll: usize,
    },
    SearchPrompt {
        input: TextInput,
    },
    SearchResults {
        selected: usize,
    },
    Jump {
        input: TextInput,
        matches: Vec<usize>,
        selected: usize,
    },
    Labels {
        input: TextInput,
    },
    LabelFilter {
        input: TextInput,
    },
    QuickReplies {
        selected: usize,
    },
    Invites {
        selected: usize,
    },
    /// Linking an account: the QR code to scan, then the outcome.
    Link {
        account: AccountId,
    },
    /// The attachments of the open conversation, newest first.
    Attachments {
        selected: usize,
    },
    /// Emoji to react with ([`crate::domain::QUICK_REACTIONS`]).
    Reactions {
        selected: usize,
    },
    /// Path of a file to attach to the reply.
    AttachPrompt {
        input: TextInput,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    /// Open and waiting: what needs attention or an eye on it.
    Inbox,
    Open,
    Waiting,
    Snoozed,
    Done,
    All,
}

impl StateFilter {
    fn next(self) -> Self {
        match self {
            Self::Inbox => Self::Open,
            Self::Open => Self::Waiting,
            Self::Waiting => Self::Snoozed,
            Self::Snoozed => Self::Done,
            Self::Done => Self::All,
            Self::All => Self::Inbox,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::Inbox => lang.t("Eingang", "Inbox"),
            Self::Open => lang.t("offen", "open"),
            Self::Waiting => lang.t("wartet", "waiting"),
            Self::Snoozed => lang.t("zurückgestellt", "snoozed"),
            Self::Done => lang.t("erledigt", "done"),
            Self::All => lang.t("alle", "all"),
        }
    }

    fn accepts(self, state: TriageState) -> bool {
        match self {
            Self::Inbox => matches!(state, TriageState::Open | TriageState::Waiting),
            Self::Open => state == TriageState::Open,
            Self::Waiting => state == TriageState::Waiting,
            Self::Snoozed => matches!(state, TriageState::Snoozed(_)),
            Self::Done => state == TriageState::Done,
            Self::All => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub state: StateFilter,
    pub channel: Option<Channel>,
    pub unread_only: bool,
    pub label: Option<String>,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            state: StateFilter::Inbox,
            channel: None,
            unread_only: false,
            label: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpenConversation {
    pub id: ConversationId,
    pub messages: Vec<Message>,
    /// Messages hidden below the view (0 = newest at the bottom).
    pub scroll: usize,
    pub exhausted: bool,
    pub loading_older: bool,
    pub highlight: Option<MessageId>,
    /// Loading older history from the network, once the store has no more.
    pub backfill: Backfill,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backfill {
    #[default]
    Idle,
    /// Asked the network; waiting for [`Notification::Backfilled`].
    Pending,
    /// The network answered; the next load from the store shows what it brought.
    Returned,
    /// The network has nothing older.
    Done,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchState {
    pub query: String,
    pub hits: Vec<SearchHit>,
    pub index: usize,
}

pub struct App {
    pub cfg: AppConfig,
    pub now: Timestamp,
    pub width: u16,
    pub height: u16,
    /// Every conversation, most recent first.
    pub conversations: Vec<Conversation>,
    /// Indices into `conversations` that pass the filter.
    pub visible: Vec<usize>,
    pub selected: usize,
    pub list_offset: usize,
    pub filter: Filter,
    pub open: Option<OpenConversation>,
    pub focus: Focus,
    pub overlay: Option<Overlay>,
    pub composer: TextInput,
    pub compose_mode: ComposeMode,
    /// Files attached to the reply being written (paths, read when it is sent).
    pub pending_files: Vec<String>,
    /// The customer message the reply being written answers, with a preview.
    pub quoting: Option<(MessageId, String)>,
    /// Who is typing, per conversation (from the networks).
    pub typing: BTreeMap<ConversationId, Vec<String>>,
    /// When the last "typing" notice went out, and for which conversation.
    typing_sent: Option<(ConversationId, Timestamp)>,
    drafts: HashMap<ConversationId, String>,
    pub health: BTreeMap<AccountId, Health>,
    /// Set while the archive refuses writes: nothing new is stored or sent meanwhile.
    pub archive_problem: Option<String>,
    /// The open conversation's consent state and the footer its next message gets.
    pub outlook: Option<(ConversationId, crate::compliance::Outlook)>,
    /// Invites waiting for a decision: accept as business, or ignore.
    pub invites: Vec<(AccountId, Invite)>,
    /// Ignored in this session; never joined, never stored.
    ignored_invites: std::collections::HashSet<String>,
    /// Accounts that are not set up at their network (a Signal number to link).
    pub links: BTreeMap<AccountId, LinkState>,
    /// A one-line message for the status line (errors, confirmations).
    pub flash: Option<String>,
    pub search: SearchState,
    pub loaded_once: bool,
    pub quit: bool,
}

const SEARCH_LIMIT: usize = 200;

/// Width of the conversation list when both panes fit.
pub fn list_width(total: u16) -> u16 {
    (total * 2 / 5).clamp(30, 60)
}

/// Below this width only one pane is shown.
pub const TWO_PANE_MIN_WIDTH: u16 = 80;

impl App {
    pub fn new(cfg: AppConfig, now: Timestamp) -> Self {
        Self {
            cfg,
            now,
            width: 80,
            height: 24,
            conversations: Vec::new(),
            visible: Vec::new(),
            selected: 0,
            list_offset: 0,
            filter: Filter::default(),
            open: None,
            focus: Focus::Inbox,
            overlay: None,
            composer: TextInput::default(),
            compose_mode: ComposeMode::Reply,
            pending_files: Vec::new(),
            typing: BTreeMap::new(),
            typing_sent: None,
            quoting: None,
            drafts: HashMap::new(),
            health: BTreeMap::new(),
            archive_problem: None,
            outlook: None,
            invites: Vec::new(),
            ignored_invites: Default::default(),
            links: BTreeMap::new(),
            flash: None,
            search: SearchState::default(),
            loaded_once: false,
            quit: false,
        }
    }

    /// What to load before the first frame.
    pub fn init(&self) -> Vec<Effect> {
        vec![
            Effect::Load(Query::Inbox),
            Effect::Load(Query::Health),
            Effect::Load(Query::ArchiveProblem),
        ]
    }

    pub fn lang(&self) -> Lang {
        self.cfg.lang
    }

    pub fn selected_conversation(&self) -> Option<&Conversation> {
        self.visible
            .get(self.selected)
            .and_then(|&i| self.conversations.get(i))
    }

    pub fn conversation(&self, id: ConversationId) -> Option<&Conversation> {
        self.conversations.iter().find(|c| c.id == id)
    }

    pub fn open_conversation(&self) -> Option<&Conversation> {
        self.open.as_ref().and_then(|o| self.conversation(o.id))
    }

    /// The input context that decides which bindings apply.
    pub fn context(&self) -> Context {
        match &self.overlay {
            Some(Overlay::Help { .. } | Overlay::StaffInfo { .. }) => Context::Help,
            Some(
                Overlay::SearchPrompt { .. }
                | Overlay::Jump { .. }
                | Overlay::Labels { .. }
                | Overlay::LabelFilter { .. }
                | Overlay::AttachPrompt { .. },
            ) => Context::Prompt,
            Some(
                Overlay::SearchResults { .. }
                | Overlay::QuickReplies { .. }
                | Overlay::Invites { .. }
                | Overlay::Link { .. }
                | Overlay::Attachments { .. }
                | Overlay::Reactions { .. },
            ) => Context::Picker,
            None => match self.focus {
                Focus::Inbox => Context::Inbox,
                Focus::Conversation => Context::Conversation,
                Focus::Composer => Context::Composer,
            },
        }
    }

    fn list_height(&self) -> usize {
        usize::from(self.height.saturating_sub(3)).max(1)
    }

    pub fn two_panes(&self) -> bool {
        self.width >= TWO_PANE_MIN_WIDTH
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(k) => self.on_key(k),
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize { width, height } => {
                self.width = width;
                self.height = height;
                self.keep_selection_visible();
                vec![]
            }
            Msg::Tick(now) => {
                let snooze_expired = self.conversations.iter().any(
                    |c| matches!(c.state, TriageState::Snoozed(t) if t > self.now && t <= now),
                );
                self.now = now;
                if snooze_expired {
                    self.refilter();
                }
                vec![]
            }
            Msg::Notified(n) => self.on_notification(n),
            Msg::Lagged => {
                let mut e = vec![
                    Effect::Load(Query::Inbox),
                    Effect::Load(Query::Health),
                    Effect::Load(Query::ArchiveProblem),
                ];
                e.extend(self.reload_open());
                e
            }
            Msg::Loaded(l) => self.on_loaded(l),
            Msg::EditorClosed(r) => {
                match r {
                    Ok(text) => {
                        self.composer.set(text.trim_end_matches('\n'));
                        self.focus = Focus::Composer;
                    }
                    Err(e) => {
                        self.flash = Some(format!("{}: {e}", self.lang().t("Editor", "Editor")))
                    }
                }
                vec![]
            }
        }
    }

    fn on_notification(&mut self, n: Notification) -> Vec<Effect> {
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
            Notification::Typing => vec![Effect::Load(Query::Typing)],
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

    fn reload_open(&self) -> Vec<Effect> {
        match &self.open {
            Some(o) => vec![
                Effect::Load(Query::Conversation {
                    id: o.id,
                    before: None,
                    limit: o.messages.len().max(self.cfg.history_page),
                    focus: None,
                }),
                Effect::Load(Query::Outlook(o.id)),
            ],
            None => vec![],
        }
    }

    fn on_loaded(&mut self, l: Loaded) -> Vec<Effect> {
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
                self.conversations = list;
                self.loaded_once = true;
                self.refilter_keeping(keep);
                // A message arriving in the conversation being read is read.
                if self.focus != Focus::Inbox
                    && let Some(c) = self.open_conversation()
                    && c.unread > 0
                {
                    return vec![Effect::Command(Command::Viewed(c.id))];
                }
                vec![]
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
                vec![]
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
            Loaded::Done(text) | Loaded::Failed(text) => {
                self.flash = Some(text);
                vec![]
            }
        }
    }

    fn refilter(&mut self) {
        let keep = self.selected_conversation().map(|c| c.id);
        self.refilter_keeping(keep);
    }

    fn refilter_keeping(&mut self, keep: Option<ConversationId>) {
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
            })
            .map(|(i, _)| i)
            .collect();
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

    fn keep_selection_visible(&mut self) {
        let h = self.list_height();
        if self.selected < self.list_offset {
            self.list_offset = self.selected;
        } else if self.selected >= self.list_offset + h {
            self.list_offset = self.selected + 1 - h;
        }
        let max_offset = self.visible.len().saturating_sub(h);
        self.list_offset = self.list_offset.min(max_offset);
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if !self.cfg.mouse {
            return vec![];
        }
        match m.kind {
            MouseEventKind::ScrollDown => self.act(Action::Next),
            MouseEventKind::ScrollUp => self.act(Action::Prev),
            MouseEventKind::Down(_) => {
                let in_list = !self.two_panes() && self.focus == Focus::Inbox
                    || self.two_panes() && m.column < list_width(self.width);
                // Row 0 is the title bar, row 1 the column header.
                if in_list && m.row >= 2 && self.overlay.is_none() {
                    let idx = self.list_offset + usize::from(m.row - 2);
                    if idx < self.visible.len() {
                        self.selected = idx;
                        self.focus = Focus::Inbox;
                        return self.open_selected(Focus::Conversation);
                    }
                }
                vec![]
            }
            _ => vec![],
        }
    }

    fn on_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if k.kind == KeyEventKind::Release {
            return vec![];
        }
        // Always a way out, whatever the keymap says.
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
            return self.act(Action::Quit);
        }
        let Some(chord) = KeyChord::from_event(&k) else {
            return vec![];
        };
        let ctx = self.context();
        self.flash = None;
        if matches!(ctx, Context::Composer | Context::Prompt)
            && let Some(effects) = self.edit_text(&chord)
        {
            return effects;
        }
        match self.cfg.keymap.action(ctx, &chord) {
            Some(a) => self.act(a),
            None => vec![],
        }
    }

    fn text_input(&mut self) -> Option<&mut TextInput> {
        match &mut self.overlay {
            Some(
                Overlay::SearchPrompt { input }
                | Overlay::Jump { input, .. }
                | Overlay::Labels { input }
                | Overlay::LabelFilter { input }
                | Overlay::AttachPrompt { input },
            ) => Some(input),
            Some(_) => None,
            None if self.focus == Focus::Composer => Some(&mut self.composer),
            None => None,
        }
    }

    /// Typing and cursor keys in an input field. `None` when the key is not an edit.
    fn edit_text(&mut self, chord: &KeyChord) -> Option<Vec<Effect>> {
        let input = self.text_input()?;
        if let Some(c) = chord.typed_char() {
            input.insert(c);
        } else if chord.ctrl && chord.code == ChordCode::Char('w') {
            input.delete_word();
        } else if chord.ctrl || chord.alt {
            return None;
        } else {
            match chord.code {
                ChordCode::Backspace => input.backspace(),
                ChordCode::Delete => input.delete(),
                ChordCode::Left => input.left(),
                ChordCode::Right => input.right(),
                ChordCode::Home => input.home(),
                ChordCode::End => input.end(),
                _ => return None,
            }
        }
        self.after_edit();
        Some(self.typing_effects())
    }

    fn after_edit(&mut self) {
        if let Some(Overlay::Jump {
            input,
            matches,
            selected,
        }) = &mut self.overlay
        {
            *matches = jump::fuzzy_matches(&self.conversations, input.text(), 500);
            *selected = 0;
        }
    }

    /// The conversation an action refers to: the open one in the conversation view,
    /// otherwise the selected one in the list.
    fn target(&self) -> Option<ConversationId> {
        match self.focus {
            Focus::Conversation | Focus::Composer => self.open.as_ref().map(|o| o.id),
            Focus::Inbox => self.selected_conversation().map(|c| c.id),
        }
    }

    pub fn act(&mut self, a: Action) -> Vec<Effect> {
        let ctx = self.context();
        match a {
            Action::Quit => {
                self.quit = true;
                let mut e = self.stash_draft();
                e.push(Effect::Quit);
                e
            }
            Action::Help => {
                self.overlay = match self.overlay {
                    Some(Overlay::Help { .. }) => None,
                    _ => Some(Overlay::Help { scroll: 0 }),
                };
                vec![]
            }
            Action::StaffInfo => {
                self.overlay = match self.overlay {
                    Some(Overlay::StaffInfo { .. }) => None,
                    _ => Some(Overlay::StaffInfo { scroll: 0 }),
                };
                vec![]
            }
            Action::Next => self.move_by(ctx, 1),
            Action::Prev => self.move_by(ctx, -1),
            Action::PageDown => self.move_by(ctx, self.list_height() as isize),
            Action::PageUp => self.move_by(ctx, -(self.list_height() as isize)),
            Action::First => self.move_by(ctx, isize::MIN / 2),
            Action::Last => self.move_by(ctx, isize::MAX / 2),
            Action::Open => match self.overlay.clone() {
                Some(Overlay::SearchResults { selected }) => {
                    self.search.index = selected;
                    self.overlay = None;
                    self.open_hit()
                }
                Some(Overlay::QuickReplies { selected }) => {
                    self.overlay = None;
                    self.insert_quick_reply(selected)
                }
                Some(Overlay::Invites { selected }) => self.accept_invite(selected),
                Some(Overlay::Link { account }) => self.link(account),
                Some(Overlay::Attachments { selected }) => self.attachment_effect(selected, true),
                Some(Overlay::Reactions { selected }) => self.react(selected),
                _ => self.open_selected(Focus::Conversation),
            },
            Action::Back => {
                if self.overlay.is_some() {
                    self.overlay = None;
                } else if self.focus == Focus::Conversation {
                    self.focus = Focus::Inbox;
                }
                vec![]
            }
            Action::NextUnread => self.next_unread(),
            Action::Invites => {
                if self.invites.is_empty() {
                    self.flash = Some(
                        self.lang()
                            .t("Keine offenen Einladungen", "No pending invites")
                            .into(),
                    );
                } else {
                    self.overlay = Some(Overlay::Invites { selected: 0 });
                }
                vec![]
            }
            Action::LinkDevice => {
                let pending = self
                    .links
                    .iter()
                    .find(|(_, s)| !matches!(s, LinkState::Linked { .. }))
                    .map(|(a, _)| a.clone());
                match pending {
                    Some(account) => self.link(account),
                    None => {
                        self.flash = Some(
                            self.lang()
                                .t(
                                    "Kein Konto muss gekoppelt werden",
                                    "No account needs linking",
                                )
                                .into(),
                        );
                        vec![]
                    }
                }
            }
            Action::IgnoreInvite => {
                if let Some(Overlay::Invites { selected }) = self.overlay.clone()
                    && selected < self.invites.len()
                {
                    let (_, invite) = self.invites.remove(selected);
                    self.ignored_invites.insert(invite.remote_id);
                    self.close_invites_if_empty(selected);
                }
                vec![]
            }
            Action::Quote => {
                let Some((id, preview)) = self
                    .react_target()
                    .map(|m| (m.id, m.display_body().chars().take(40).collect::<String>()))
                else {
                    self.flash = Some(
                        self.lang()
                            .t(
                                "Keine Kundennachricht zum Zitieren",
                                "No customer message to quote",
                            )
                            .into(),
                    );
                    return vec![];
                };
                let e = self.compose(ComposeMode::Reply);
                if self.focus == Focus::Composer {
                    self.quoting = Some((id, preview));
                }
                e
            }
            Action::React => {
                if self.react_target().is_none() {
                    self.flash = Some(
                        self.lang()
                            .t(
                                "Keine Kundennachricht zum Reagieren",
                                "No customer message to react to",
                            )
                            .into(),
                    );
                } else {
                    self.overlay = Some(Overlay::Reactions { selected: 0 });
                }
                vec![]
            }
            Action::Attachments => {
                if self.attachments().is_empty() {
                    self.flash = Some(
                        self.lang()
                            .t(
                                "Keine Anhänge in den geladenen Nachrichten",
                                "No attachments in the loaded messages",
                            )
                            .into(),
                    );
                } else {
                    self.overlay = Some(Overlay::Attachments { selected: 0 });
                }
                vec![]
            }
            Action::SaveAttachment => match self.overlay {
                Some(Overlay::Attachments { selected }) => self.attachment_effect(selected, false),
                _ => vec![],
            },
            Action::Attach => {
                self.overlay = Some(Overlay::AttachPrompt {
                    input: TextInput::default(),
                });
                vec![]
            }
            Action::Jump => {
                self.overlay = Some(Overlay::Jump {
                    input: TextInput::default(),
                    matches: jump::fuzzy_matches(&self.conversations, "", 500),
                    selected: 0,
                });
                vec![]
            }
            Action::Search => {
                self.overlay = Some(Overlay::SearchPrompt {
                    input: TextInput::with_text(&self.search.query),
                });
                vec![]
            }
            Action::NextHit => self.step_hit(1),
            Action::PrevHit => self.step_hit(-1),
            Action::Reply => self.compose(ComposeMode::Reply),
            Action::Note => self.compose(ComposeMode::Note),
            Action::QuickReply => {
                if self.cfg.quick_replies.is_empty() {
                    self.flash = Some(
                        self.lang()
                            .t(
                                "Keine Textbausteine konfiguriert ([[quick_replies]])",
                                "No canned responses configured ([[quick_replies]])",
                            )
                            .into(),
                    );
                    return vec![];
                }
                let e = self.compose(ComposeMode::Reply);
                if self.focus == Focus::Composer {
                    self.overlay = Some(Overlay::QuickReplies { selected: 0 });
                }
                e
            }
            Action::SetOpen => self.set_state(TriageState::Open),
            Action::SetWaiting => self.set_state(TriageState::Waiting),
            Action::Done => self.set_state(TriageState::Done),
            Action::Snooze => {
                let until = tomorrow_morning(self.now);
                self.set_state(TriageState::Snoozed(until))
            }
            Action::Retry => self.retry(),
            Action::Assign => {
                let Some(id) = self.target() else {
                    return vec![];
                };
                let me = self.cfg.staff_name.clone();
                let Some(c) = self.conversations.iter_mut().find(|c| c.id == id) else {
                    return vec![];
                };
                let staff = if c.assigned.as_deref() == Some(me.as_str()) {
                    None
                } else {
                    Some(me)
                };
                c.assigned = staff.clone();
                self.flash = Some(match &staff {
                    Some(who) => {
                        format!("{} {who}", self.cfg.lang.t("Zugewiesen an", "Assigned to"))
                    }
                    None => self
                        .cfg
                        .lang
                        .t("Zuweisung aufgehoben", "Unassigned")
                        .to_string(),
                });
                vec![Effect::Command(Command::Local(Op::Assign {
                    conversation: id,
                    staff,
                }))]
            }
            Action::MarkUnread => {
                let Some(id) = self.target() else {
                    return vec![];
                };
                if let Some(c) = self.conversations.iter_mut().find(|c| c.id == id) {
                    c.marked_unread = true;
                }
                // Staying in the conversation would immediately mark it read again.
                if self.focus != Focus::Inbox {
                    self.focus = Focus::Inbox;
                }
                vec![Effect::Command(Command::Local(Op::MarkUnread {
                    conversation: id,
                }))]
            }
            Action::Labels => {
                let Some(id) = self.target() else {
                    return vec![];
                };
                let current = self
                    .conversation(id)
                    .map(|c| c.labels.join(", "))
                    .unwrap_or_default();
                self.overlay = Some(Overlay::Labels {
                    input: TextInput::with_text(&current),
                });
                vec![]
            }
            Action::FilterState => {
                self.filter.state = self.filter.state.next();
                self.refilter();
                vec![]
            }
            Action::FilterNetwork => {
                self.filter.channel = match self.filter.channel {
                    None => Some(Channel::ALL[0]),
                    Some(c) => Channel::ALL
                        .iter()
                        .position(|x| *x == c)
                        .and_then(|i| Channel::ALL.get(i + 1))
                        .copied(),
                };
                self.refilter();
                vec![]
            }
            Action::FilterUnread => {
                self.filter.unread_only = !self.filter.unread_only;
                self.refilter();
                vec![]
            }
            Action::FilterLabel => {
                self.overlay = Some(Overlay::LabelFilter {
                    input: TextInput::with_text(self.filter.label.as_deref().unwrap_or("")),
                });
                vec![]
            }
            Action::ClearFilters => {
                self.filter = Filter::default();
                self.refilter();
                vec![]
            }
            Action::Send => self.send(),
            Action::Newline => {
                self.composer.insert('\n');
                vec![]
            }
            Action::Editor => vec![Effect::OpenEditor {
                initial: self.composer.text().to_string(),
            }],
            Action::Cancel => {
                if self.overlay.is_some() {
                    self.overlay = None;
                    vec![]
                } else {
                    self.focus = Focus::Conversation;
                    self.quoting = None;
                    self.stash_draft()
                }
            }
            Action::Submit => self.submit(),
        }
    }

    fn move_by(&mut self, ctx: Context, delta: isize) -> Vec<Effect> {
        let step = |cur: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (cur as isize)
                .saturating_add(delta)
                .clamp(0, len as isize - 1) as usize
        };
        match (&mut self.overlay, ctx) {
            (Some(Overlay::Help { scroll }), _) => {
                *scroll = step(*scroll, action::help_line_count());
                vec![]
            }
            (Some(Overlay::StaffInfo { scroll }), _) => {
                *scroll = step(*scroll, self.cfg.staff_info.len());
                vec![]
            }
            (Some(Overlay::SearchResults { selected }), _) => {
                *selected = step(*selected, self.search.hits.len());
                vec![]
            }
            (Some(Overlay::QuickReplies { selected }), _) => {
                *selected = step(*selected, self.cfg.quick_replies.len());
                vec![]
            }
            (Some(Overlay::Invites { selected }), _) => {
                *selected = step(*selected, self.invites.len());
                vec![]
            }
            (Some(Overlay::Reactions { selected }), _) => {
                *selected = step(*selected, crate::domain::QUICK_REACTIONS.len());
                vec![]
            }
            (Some(Overlay::Attachments { selected }), _) => {
                let len = self
                    .open
                    .as_ref()
                    .map_or(0, |o| o.messages.iter().map(|m| m.attachments.len()).sum());
                *selected = step(*selected, len);
                vec![]
            }
            (
                Some(Overlay::Jump {
                    matches, selected, ..
                }),
                _,
            ) => {
                *selected = step(*selected, matches.len());
                vec![]
            }
            (Some(_), _) => vec![],
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
                vec![]
            }
        }
    }

    /// Opens the selected conversation and moves focus there (or into the composer).
    fn open_selected(&mut self, focus: Focus) -> Vec<Effect> {
        let Some(id) = self.selected_conversation().map(|c| c.id) else {
            return vec![];
        };
        self.open_id(id, focus, None)
    }

    fn open_id(&mut self, id: ConversationId, focus: Focus, at: Option<MessageId>) -> Vec<Effect> {
        let same = self.open.as_ref().is_some_and(|o| o.id == id);
        let mut effects = Vec::new();
        if !same {
            effects = self.stash_draft();
            self.quoting = None;
            self.open = Some(OpenConversation {
                id,
                messages: Vec::new(),
                scroll: 0,
                exhausted: false,
                loading_older: false,
                highlight: None,
                backfill: Backfill::Idle,
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
            effects.push(Effect::Load(Query::Outlook(id)));
        }
        effects.push(Effect::Command(Command::Viewed(id)));
        effects
    }

    /// Remembers the reply being written in the open conversation and, if it changed,
    /// has the engine keep it, so a draft survives switching, leaving and quitting.
    /// Notes are never kept as drafts: they are short, and must never become a reply.
    fn stash_draft(&mut self) -> Vec<Effect> {
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
        effects.push(Effect::Command(Command::Local(Op::SetDraft {
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

    fn next_unread(&mut self) -> Vec<Effect> {
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
        for step in 1..=n {
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

    fn open_hit(&mut self) -> Vec<Effect> {
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
        self.open_id(hit.conversation, Focus::Conversation, hit.message)
    }

    fn step_hit(&mut self, delta: isize) -> Vec<Effect> {
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

    fn compose(&mut self, mode: ComposeMode) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.focus == Focus::Inbox {
            effects = self.open_selected(Focus::Conversation);
        }
        if self.open.is_none() {
            return effects;
        }
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

    fn react(&mut self, idx: usize) -> Vec<Effect> {
        self.overlay = None;
        let Some(key) = crate::domain::QUICK_REACTIONS.get(idx) else {
            return vec![];
        };
        let Some(m) = self.react_target() else {
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
    fn typing_effects(&mut self) -> Vec<Effect> {
        if !self.cfg.send_typing
            || self.focus != Focus::Composer
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
        self.typing_sent = Some((id, self.now));
        vec![Effect::Command(Command::Typing {
            conversation: id,
            typing: true,
        })]
    }

    /// Ends a "typing" notice that went out (reply sent, composer left).
    fn stop_typing(&mut self) -> Vec<Effect> {
        match self.typing_sent.take() {
            Some((conversation, _)) => vec![Effect::Command(Command::Typing {
                conversation,
                typing: false,
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

    fn attachment_effect(&mut self, idx: usize, open: bool) -> Vec<Effect> {
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

    fn accept_invite(&mut self, idx: usize) -> Vec<Effect> {
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
    fn link(&mut self, account: AccountId) -> Vec<Effect> {
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

    fn close_invites_if_empty(&mut self, removed: usize) {
        if self.invites.is_empty() {
            self.overlay = None;
        } else if let Some(Overlay::Invites { selected }) = &mut self.overlay {
            *selected = removed.min(self.invites.len() - 1);
        }
    }

    fn insert_quick_reply(&mut self, idx: usize) -> Vec<Effect> {
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
        vec![]
    }

    fn send(&mut self) -> Vec<Effect> {
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
        let body = self.composer.take();
        let mut effects = self.stop_typing();
        if self.compose_mode == ComposeMode::Reply && self.draft(id).is_some() {
            self.drafts.insert(id, String::new());
            effects.push(Effect::Command(Command::Local(Op::SetDraft {
                conversation: id,
                body: String::new(),
            })));
        }
        self.focus = Focus::Conversation;
        if let Some(o) = self.open.as_mut() {
            o.scroll = 0;
        }
        match self.compose_mode {
            ComposeMode::Reply => effects.push(Effect::Command(Command::Send {
                conversation: id,
                body,
                files,
                reply_to: self.quoting.take().map(|(m, _)| m),
                retry: false,
            })),
            ComposeMode::Note => {
                // Back to the reply that was being written before the note.
                self.compose_mode = ComposeMode::Reply;
                self.composer = TextInput::with_text(self.draft(id).unwrap_or(""));
                effects.push(Effect::Command(Command::Local(Op::AddNote {
                    conversation: id,
                    author: self.cfg.staff_name.clone(),
                    body,
                    at: self.now,
                })));
            }
        }
        effects
    }

    /// Sends the newest failed message of the open conversation again, as a new message;
    /// the failed one stays in the history as it was.
    fn retry(&mut self) -> Vec<Effect> {
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

    fn set_state(&mut self, state: TriageState) -> Vec<Effect> {
        let Some(id) = self.target() else {
            return vec![];
        };
        if let Some(c) = self.conversations.iter_mut().find(|c| c.id == id) {
            c.state = state;
        }
        // Triage flow: the next conversation slides under the cursor.
        let selected = self.selected;
        self.refilter_keeping(None);
        self.selected = selected.min(self.visible.len().saturating_sub(1));
        self.keep_selection_visible();
        self.flash = Some(format!(
            "{} {}",
            self.lang().t("Status:", "State:"),
            state_label(state, self.lang())
        ));
        vec![Effect::Command(Command::Local(Op::SetState {
            conversation: id,
            state,
        }))]
    }

    fn submit(&mut self) -> Vec<Effect> {
        match self.overlay.take() {
            Some(Overlay::SearchPrompt { input }) => {
                let query = input.text().trim().to_string();
                if query.is_empty() {
                    return vec![];
                }
                self.search.query = query.clone();
                vec![Effect::Load(Query::Search {
                    query,
                    limit: SEARCH_LIMIT,
                })]
            }
            Some(Overlay::Jump {
                matches, selected, ..
            }) => {
                let Some(&i) = matches.get(selected) else {
                    return vec![];
                };
                let id = self.conversations[i].id;
                if let Some(pos) = self.visible.iter().position(|&v| v == i) {
                    self.selected = pos;
                } else {
                    // The target is hidden by a filter; showing everything beats hiding it.
                    self.filter = Filter {
                        state: StateFilter::All,
                        ..Filter::default()
                    };
                    self.refilter_keeping(Some(id));
                }
                self.keep_selection_visible();
                self.open_id(id, Focus::Conversation, None)
            }
            Some(Overlay::Labels { input }) => {
                let Some(id) = self.target() else {
                    return vec![];
                };
                let labels: Vec<String> = input
                    .text()
                    .split(',')
                    .map(|l| l.trim().to_lowercase())
                    .filter(|l| !l.is_empty())
                    .collect();
                if let Some(c) = self.conversations.iter_mut().find(|c| c.id == id) {
                    c.labels = labels.clone();
                }
                vec![Effect::Command(Command::Local(Op::SetLabels {
                    conversation: id,
                    labels,
                }))]
            }
            Some(Overlay::AttachPrompt { input }) => {
                let path = input.text().trim().to_string();
                if !path.is_empty() {
                    self.pending_files.push(path);
                }
                self.focus = Focus::Composer;
                vec![]
            }
            Some(Overlay::LabelFilter { input }) => {
                let l = input.text().trim().to_lowercase();
                self.filter.label = (!l.is_empty()).then_some(l);
                self.refilter();
                vec![]
            }
            other => {
                self.overlay = other;
                vec![]
            }
        }
    }
}

pub fn state_label(state: TriageState, lang: Lang) -> String {
    match state {
        TriageState::Open => lang.t("offen", "open").into(),
        TriageState::Waiting => lang.t("wartet", "waiting").into(),
        TriageState::Done => lang.t("erledigt", "done").into(),
        TriageState::Snoozed(t) => format!(
            "{} {}",
            lang.t("zurückgestellt bis", "snoozed until"),
            t.to_local().format("%d.%m. %H:%M")
        ),
    }
}

/// 08:00 local time on the next day.
fn tomorrow_morning(now: Timestamp) -> Timestamp {
    use chrono::{Duration, TimeZone};
    let local = now.to_local();
    let date = local.date_naive() + Duration::days(1);
    let at = date.and_hms_opt(8, 0, 0).unwrap_or_default();
    chrono::Local
        .from_local_datetime(&at)
        .earliest()
        .map_or(now.plus_ms(Timestamp::DAY), |d| {
            Timestamp(d.timestamp_millis())
        })
}
