//! Which conversations the list shows: by triage state, network, unread, label.

use super::i18n::Lang;
use crate::domain::{Channel, TriageState};

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
    pub(super) fn next(self) -> Self {
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

    pub(super) fn accepts(self, state: TriageState) -> bool {
        match self {
            Self::Inbox => matches!(
                state,
                TriageState::Open | TriageState::Waiting | TriageState::FollowUp(_)
            ),
            Self::Open => state == TriageState::Open,
            Self::Waiting => matches!(state, TriageState::Waiting | TriageState::FollowUp(_)),
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
    /// The queue: only conversations whose customer waits for an answer, the longest
    /// waiting first.
    pub queue: bool,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            state: StateFilter::Inbox,
            channel: None,
            unread_only: false,
            label: None,
            queue: false,
        }
    }
}
