//! The UI state machine: `App::update(msg) -> Vec<Effect>`, synchronous and free of IO.
//!
//! To add a feature: add an [`Action`](action::Action) with its default keys and both
//! descriptions, handle it in [`App::act`], and render what it changes in `ui`. Loading
//! data is an [`Effect::Load`] answered later by [`Msg::Loaded`]; writing is an
//! [`Effect::Command`] the engine carries out, and its notification brings the result.

mod act;
pub mod action;
mod command;
mod compose;
mod copy;
mod editing;
mod filter;
pub mod i18n;
pub mod input;
pub mod jump;
pub mod keymap;
mod loaded;
mod navigate;
pub mod order;
mod overlays;
mod palette;
pub mod photos;
mod policy;
mod query;
pub mod reasons;
pub mod restrict;
pub mod when;

use std::collections::{BTreeMap, HashMap};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use crate::domain::{
    AccountId, Channel, Conversation, ConversationId, Health, Invite, LinkState, Message,
    MessageId, SearchHit, Timestamp, TriageState,
};
use crate::domain::{LocalChange, QuickReply};
use crate::engine::Notification;
use action::{Action, Context};
use i18n::Lang;
use input::TextInput;
use keymap::{ChordCode, KeyChord, Keymap};

pub use command::Command;
pub use filter::{Filter, StateFilter};
pub use palette::Palette;
pub use query::{Loaded, Query, SeatView};

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
    pub theme: Palette,
    /// Photos previewed in the conversation (`[ui] photos` not "off").
    pub photos: bool,
    /// Ring the bell when a customer writes; unread count in the window title.
    pub bell: bool,
    pub title: bool,
    /// What tresen stores about the person at the keyboard (R-D5), from the same
    /// configuration the gates read.
    pub staff_info: Vec<String>,
    /// Desktop notifications (`[notifications] desktop` is not `off`).
    pub desktop: bool,
    /// No bell and no desktop notification between these minutes of the day.
    pub quiet: Option<(u16, u16)>,
    /// The office's business hours (the daemon's, when attached).
    pub hours: Option<crate::domain::hours::Hours>,
    /// The usage policy and what this staff member accepted (the daemon's, when
    /// attached); `None` without one.
    pub policy: Option<crate::compliance::policy::PolicyStatus>,
    /// The calling code of numbers typed in national form (`f 0157…`).
    pub country: String,
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
    /// The terminal gained (true) or lost focus, where it reports it.
    Focus(bool),
    Notified(Notification),
    /// Notifications were dropped; everything on screen must be re-read.
    Lagged,
    Loaded(Loaded),
    /// `$EDITOR` finished: the new text, or why it failed.
    EditorClosed(Result<String, String>),
    /// Tab in the attach prompt: the path as typed, completed as far as it is
    /// unambiguous, and what it could go on with.
    PathCompleted {
        typed: String,
        completed: String,
        candidates: Vec<String>,
    },
    /// A photo preview asked for with [`Effect::LoadPhoto`], prepared or not.
    PhotoReady {
        message: MessageId,
        index: usize,
        photo: Result<crate::preview::Photo, String>,
    },
    /// Text pasted into the terminal (bracketed paste), line breaks included.
    Pasted(String),
    /// A reply could not be handed to the engine (a file unreadable, the engine's queue
    /// full): nothing was sent; its text and files go back into the composer.
    NotSent {
        body: String,
        files: Vec<String>,
        reason: String,
    },
    /// The engine did not take a command (its queue is full or it stopped).
    Refused(String),
    /// The acceptance of the usage policy in this version is archived.
    PolicyAccepted(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Load(Query),
    Command(Command),
    OpenEditor {
        initial: String,
    },
    /// Complete a file path being typed (its folder is read outside the app).
    CompletePath(String),
    /// Put text on the clipboard (through the terminal: OSC 52).
    Copy(String),
    /// Open a web link from a message in the browser (only http and https).
    OpenLink(String),
    /// Prepare a preview of the photo attachment `index` of `message`, at most
    /// `cols` × `rows` cells; answered with [`Msg::PhotoReady`].
    LoadPhoto {
        message: MessageId,
        index: usize,
        cols: u16,
        rows: u16,
    },
    /// Fetch attachment `index` of `message` (downloading it if needed), then open it
    /// with the desktop's viewer or save it to the downloads folder.
    Attachment {
        message: MessageId,
        index: usize,
        open: bool,
    },
    /// A customer wrote: ring the terminal's bell.
    Bell,
    /// The window title, with the number of unread conversations.
    Title(usize),
    /// A customer wrote while the terminal is not in front: a desktop notification
    /// (customer and network; a sanitised short preview).
    Notify {
        summary: String,
        body: String,
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
    /// The usage policy to accept before the inbox opens (R-F1).
    Policy {
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
    /// The customer's name, to correct (R-C12).
    ContactName {
        input: TextInput,
    },
    /// When: a snooze (`z`) or a follow-up date (`w`); quick choices, or typed.
    When {
        purpose: when::WhenFor,
        choices: Vec<when::Choice>,
        selected: usize,
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
    /// Emoji to react with ([`crate::domain::QUICK_REACTIONS`]) to `target`, the
    /// message the pop-up names (not whatever is newest when Enter is pressed).
    Reactions {
        selected: usize,
        target: MessageId,
    },
    /// A step of the conversation's offer or order (`O`).
    OrderSteps {
        selected: usize,
    },
    /// Mark the customer's last message — `target`, as the pop-up names it — for the
    /// owner only (`S`).
    Restrict {
        selected: usize,
        target: MessageId,
    },
    /// The web links in the conversation's loaded messages, newest first.
    Links {
        selected: usize,
        links: Vec<String>,
    },
    /// What `y` can copy: a label and the text, each.
    Copy {
        selected: usize,
        items: Vec<(String, String)>,
    },
    /// Path of a file to attach to the reply.
    AttachPrompt {
        input: TextInput,
        /// What Tab found in the folder being typed.
        candidates: Vec<String>,
    },
    /// Another seat answered the conversation since this reply was begun: send anyway?
    AnsweredMeanwhile {
        /// How long ago that answer went out.
        ago_secs: i64,
    },
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
    /// Opened from a search hit or a jump while unread: it stays unread until staff
    /// write in it or open it from the list — passing through is not reading.
    pub peek: bool,
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
    /// When writing the current reply began (for "answered meanwhile").
    reply_started: Option<(ConversationId, Timestamp)>,
    /// The user said to send although someone answered meanwhile.
    send_anyway: bool,
    /// Conversations another seat is writing a reply in (never who).
    pub answering: std::collections::BTreeSet<ConversationId>,
    drafts: HashMap<ConversationId, String>,
    pub health: BTreeMap<AccountId, Health>,
    /// Set while the archive refuses writes: nothing new is stored or sent meanwhile.
    pub archive_problem: Option<String>,
    /// Own engine or attached to the daemon (status line).
    pub seat: SeatView,
    /// The open conversation's consent state and the footer its next message gets.
    pub outlook: Option<(ConversationId, crate::compliance::Outlook)>,
    /// The document tags (and Vordruck mark) of the quick reply put into the composer:
    /// the message goes out with them, and the composer says so.
    pub compose_tags: (Vec<String>, bool),
    /// The tags of replies put aside in other conversations (this session).
    draft_tags: HashMap<ConversationId, (Vec<String>, bool)>,
    /// The open conversation's scheduled messages (waiting, or not sent).
    pub scheduled: Vec<crate::domain::scheduled::Scheduled>,
    /// Invites waiting for a decision: accept as business, or ignore.
    pub invites: Vec<(AccountId, Invite)>,
    /// Ignored in this session; never joined, never stored.
    ignored_invites: std::collections::HashSet<String>,
    /// Accounts that are not set up at their network (a Signal number to link).
    pub links: BTreeMap<AccountId, LinkState>,
    /// A one-line message for the status line (errors, confirmations).
    pub flash: Option<String>,
    pub search: SearchState,
    /// Previews of the open conversation's photos.
    pub photos: photos::Photos,
    pub loaded_once: bool,
    /// Unread messages per conversation at the last inbox load, and the unread count
    /// last put in the window title: what is new since.
    seen_unread: std::collections::HashMap<ConversationId, u32>,
    titled: Option<usize>,
    /// Whether the terminal has focus; `None` until it says (many never do).
    focused: Option<bool>,
    pub quit: bool,
}

const SEARCH_LIMIT: usize = 200;

/// Width of the conversation list when both panes fit: it grows with the terminal, so
/// a wide window shows more of each preview, and always leaves the conversation room.
pub fn list_width(total: u16) -> u16 {
    (total * 2 / 5).max(30).min(total.saturating_sub(20))
}

/// Below this width only one pane is shown.
pub const TWO_PANE_MIN_WIDTH: u16 = 80;

impl App {
    pub fn new(cfg: AppConfig, now: Timestamp) -> Self {
        let mut app = Self {
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
            reply_started: None,
            send_anyway: false,
            answering: Default::default(),
            quoting: None,
            compose_tags: (Vec::new(), false),
            draft_tags: HashMap::new(),
            drafts: HashMap::new(),
            health: BTreeMap::new(),
            archive_problem: None,
            seat: SeatView::Own,
            outlook: None,
            scheduled: Vec::new(),
            invites: Vec::new(),
            ignored_invites: Default::default(),
            links: BTreeMap::new(),
            flash: None,
            search: SearchState::default(),
            photos: photos::Photos::default(),
            loaded_once: false,
            seen_unread: Default::default(),
            titled: None,
            focused: None,
            quit: false,
        };
        app.start_policy();
        app
    }

    /// What to load before the first frame.
    pub fn init(&self) -> Vec<Effect> {
        vec![
            Effect::Load(Query::Inbox),
            Effect::Load(Query::Health),
            Effect::Load(Query::ArchiveProblem),
            Effect::Load(Query::Seat),
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
            Some(Overlay::Help { .. } | Overlay::StaffInfo { .. } | Overlay::Policy { .. }) => {
                Context::Help
            }
            Some(
                Overlay::SearchPrompt { .. }
                | Overlay::Jump { .. }
                | Overlay::Labels { .. }
                | Overlay::ContactName { .. }
                | Overlay::When { .. }
                | Overlay::LabelFilter { .. }
                | Overlay::AttachPrompt { .. },
            ) => Context::Prompt,
            Some(
                Overlay::SearchResults { .. }
                | Overlay::QuickReplies { .. }
                | Overlay::Invites { .. }
                | Overlay::Link { .. }
                | Overlay::Attachments { .. }
                | Overlay::Reactions { .. }
                | Overlay::Copy { .. }
                | Overlay::Links { .. }
                | Overlay::OrderSteps { .. }
                | Overlay::Restrict { .. }
                | Overlay::AnsweredMeanwhile { .. },
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
            Msg::Focus(focused) => {
                self.focused = Some(focused);
                Vec::new()
            }
            Msg::Tick(now) => {
                let snooze_expired = self.conversations.iter().any(
                    |c| matches!(c.state, TriageState::Snoozed(t) | TriageState::FollowUp(t) if t > self.now && t <= now),
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
                    Effect::Load(Query::Answering),
                ];
                e.extend(self.reload_open());
                e
            }
            Msg::Loaded(l) => self.on_loaded(l),
            Msg::Pasted(text) => self.paste(&text),
            Msg::NotSent {
                body,
                files,
                reason,
            } => {
                self.composer.insert_str(&body);
                self.pending_files = files;
                self.focus = Focus::Composer;
                self.flash = Some(reasons::in_lang(&reason, self.lang()));
                vec![]
            }
            Msg::PolicyAccepted(version) => self.policy_accepted(version),
            Msg::Refused(reason) => {
                self.flash = Some(reasons::in_lang(&reason, self.lang()));
                vec![]
            }
            Msg::PathCompleted {
                typed,
                completed,
                candidates,
            } => {
                self.path_completed(&typed, completed, candidates);
                vec![]
            }
            Msg::PhotoReady {
                message,
                index,
                photo,
            } => {
                self.photo_ready(message, index, photo);
                vec![]
            }
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

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        // Nothing behind the usage policy is reachable before it is accepted.
        if !self.cfg.mouse || matches!(self.overlay, Some(Overlay::Policy { .. })) {
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
        if let Some(Overlay::AnsweredMeanwhile { .. }) = self.overlay {
            return self.answer_meanwhile(k.code);
        }
        if let Some(Overlay::Policy { .. }) = self.overlay {
            return self.policy_key(k.code);
        }
        let ctx = self.context();
        self.flash = None;
        if matches!(ctx, Context::Composer | Context::Prompt)
            && let Some(effects) = self.edit_text(&chord)
        {
            return effects;
        }
        match self.cfg.keymap.action(ctx, &chord) {
            Some(a) => self.act(a),
            // A list key pressed while reading a conversation: say where it works
            // rather than doing nothing.
            None if ctx == Context::Conversation
                && self.cfg.keymap.action(Context::Inbox, &chord).is_some() =>
            {
                self.flash = Some(format!(
                    "„{}“ {}",
                    chord.label_in(self.lang()),
                    self.lang().t(
                        "wirkt in der Liste: erst Esc",
                        "works in the list: press Esc first"
                    )
                ));
                vec![]
            }
            None => vec![],
        }
    }

    /// Columns of the conversation pane (and so of the composer) at this terminal size.
    pub fn conversation_width(&self) -> u16 {
        if self.two_panes() {
            // The list, then a one-column separator.
            self.width.saturating_sub(list_width(self.width) + 1)
        } else {
            self.width
        }
    }

    fn after_edit(&mut self) {
        if let Some(Overlay::Jump {
            input,
            matches,
            selected,
        }) = &mut self.overlay
        {
            *matches =
                jump::fuzzy_matches(&self.conversations, input.text(), &self.cfg.country, 500);
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
        vec![Effect::Command(Command::Local(LocalChange::SetState {
            conversation: id,
            state,
        }))]
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
        TriageState::FollowUp(t) => format!(
            "{} {}",
            lang.t("wartet, nachfassen am", "waiting, follow up on"),
            t.to_local().format("%d.%m. %H:%M")
        ),
    }
}
