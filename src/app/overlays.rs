//! The pop-ups as layers over the inbox, in the spirit of helix's compositor: while one
//! is open it takes the keys it knows — moving its selection, Enter, submitting its
//! field — and what it does not take falls through to the screen below. One arm per
//! pop-up kind in each handler, all of them here.

use super::*;

impl App {
    /// Moves the open pop-up's selection (or scrolls it); `None` without a pop-up.
    pub(super) fn overlay_move(&mut self, delta: isize) -> Option<Vec<Effect>> {
        let len = match self.overlay.as_ref()? {
            Overlay::Help { .. } => action::help_line_count(),
            Overlay::StaffInfo { .. } => self.cfg.staff_info.len(),
            Overlay::SearchResults { .. } => self.search.hits.len(),
            Overlay::QuickReplies { .. } => self.cfg.quick_replies.len(),
            Overlay::Invites { .. } => self.invites.len(),
            Overlay::Reactions { .. } => crate::domain::QUICK_REACTIONS.len(),
            Overlay::Copy { items, .. } => items.len(),
            Overlay::Links { links, .. } => links.len(),
            Overlay::OrderSteps { .. } => order::STEPS.len(),
            Overlay::Restrict { .. } => restrict::CHOICES.len(),
            Overlay::Attachments { .. } => self
                .open
                .as_ref()
                .map_or(0, |o| o.messages.iter().map(|m| m.attachments.len()).sum()),
            Overlay::Jump { matches, .. } => matches.len(),
            Overlay::When { choices, .. } => choices.len(),
            // Prompts and the link screen have no list.
            _ => return Some(vec![]),
        };
        let step = |cur: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (cur as isize)
                .saturating_add(delta)
                .clamp(0, len as isize - 1) as usize
        };
        match &mut self.overlay {
            Some(Overlay::Help { scroll } | Overlay::StaffInfo { scroll }) => {
                *scroll = step(*scroll)
            }
            Some(
                Overlay::SearchResults { selected }
                | Overlay::QuickReplies { selected }
                | Overlay::Invites { selected }
                | Overlay::Reactions { selected, .. }
                | Overlay::Copy { selected, .. }
                | Overlay::Links { selected, .. }
                | Overlay::OrderSteps { selected }
                | Overlay::Restrict { selected, .. }
                | Overlay::Attachments { selected }
                | Overlay::Jump { selected, .. }
                | Overlay::When { selected, .. },
            ) => *selected = step(*selected),
            _ => {}
        }
        Some(vec![])
    }

    /// Enter in the open pop-up: pick what is selected. `None` when the pop-up (or no
    /// pop-up) has nothing to pick, so Enter opens the selected conversation.
    pub(super) fn overlay_confirm(&mut self) -> Option<Vec<Effect>> {
        Some(match self.overlay.clone()? {
            Overlay::SearchResults { selected } => {
                self.search.index = selected;
                self.overlay = None;
                self.open_hit()
            }
            Overlay::QuickReplies { selected } => {
                self.overlay = None;
                self.insert_quick_reply(selected)
            }
            Overlay::Invites { selected } => self.accept_invite(selected),
            Overlay::Link { account } => self.link(account),
            Overlay::Attachments { selected } => self.attachment_effect(selected, true),
            Overlay::Reactions { selected, target } => self.react(selected, target),
            Overlay::Copy { selected, .. } => self.copy(selected),
            Overlay::Links { selected, links } => {
                self.overlay = None;
                links
                    .into_iter()
                    .nth(selected)
                    .map(Effect::OpenLink)
                    .into_iter()
                    .collect()
            }
            Overlay::OrderSteps { selected } => self.order_step(selected),
            Overlay::Restrict { selected, target } => self.restrict(selected, target),
            _ => return None,
        })
    }

    /// Enter in a prompt: search, jump, labels, a file to attach, the label filter.
    pub(super) fn submit(&mut self) -> Vec<Effect> {
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
                self.peek_id(id, Focus::Conversation, None)
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
                // A typo must not quietly make a new label: say which ones are new.
                let known = self.known_labels();
                let new: Vec<&str> = labels
                    .iter()
                    .filter(|l| !known.contains(l))
                    .map(String::as_str)
                    .collect();
                if !new.is_empty() {
                    self.flash = Some(format!(
                        "{}: {}",
                        self.lang().t("Neues Label angelegt", "New label created"),
                        new.join(", ")
                    ));
                }
                if let Some(c) = self.conversations.iter_mut().find(|c| c.id == id) {
                    c.labels = labels.clone();
                }
                vec![Effect::Command(Command::Local(LocalChange::SetLabels {
                    conversation: id,
                    labels,
                    by: String::new(),
                }))]
            }
            Some(Overlay::ContactName { input }) => {
                let Some(id) = self.target() else {
                    return vec![];
                };
                let name = input.text().trim().to_string();
                let unchanged = self
                    .conversation(id)
                    .and_then(|c| c.contact.as_ref())
                    .is_none_or(|c| c.display_name == name);
                if name.is_empty() || unchanged {
                    return vec![];
                }
                vec![Effect::Command(Command::CorrectContact {
                    conversation: id,
                    name,
                })]
            }
            Some(Overlay::AttachPrompt { input, .. }) => {
                let path = input.text().trim().to_string();
                if !path.is_empty() {
                    self.pending_files.push(path);
                }
                self.focus = Focus::Composer;
                vec![]
            }
            Some(Overlay::When {
                purpose,
                choices,
                selected,
                input,
            }) => {
                let typed = input.text().trim().to_string();
                let at = if typed.is_empty() {
                    choices.get(selected).and_then(|c| c.at)
                } else {
                    match super::when::parse(&typed, self.now) {
                        Ok(t) => Some(t),
                        Err(e) => {
                            self.flash = Some(self.when_error(e));
                            self.overlay = Some(Overlay::When {
                                purpose,
                                choices,
                                selected,
                                input,
                            });
                            return vec![];
                        }
                    }
                };
                let state = match (purpose, at) {
                    (super::when::WhenFor::Send, Some(t)) => return self.schedule(t),
                    (super::when::WhenFor::Send, None) => return vec![],
                    (super::when::WhenFor::Snooze, Some(t)) => TriageState::Snoozed(t),
                    (super::when::WhenFor::FollowUp, Some(t)) => TriageState::FollowUp(t),
                    (_, None) => TriageState::Waiting,
                };
                self.set_state(state)
            }
            Some(Overlay::LabelFilter { input }) => {
                let l = input.text().trim().to_lowercase();
                if !l.is_empty() && !self.known_labels().contains(&l) {
                    self.flash = Some(format!(
                        "{} „{}“",
                        self.lang().t(
                            "Keine Unterhaltung trägt das Label",
                            "No conversation has the label"
                        ),
                        crate::domain::sanitize_for_terminal(&l, false)
                    ));
                }
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

    /// `z` and `w`: asks when, with quick choices (the default selected).
    pub(super) fn ask_when(&mut self, purpose: super::when::WhenFor) -> Vec<Effect> {
        if self.target().is_none() {
            return vec![];
        }
        if purpose == super::when::WhenFor::Send {
            let why = if self.compose_mode != ComposeMode::Reply {
                Some(self.lang().t(
                    "Nur Antworten lassen sich planen, keine Notizen",
                    "Only replies can be scheduled, not notes",
                ))
            } else if !self.pending_files.is_empty() {
                Some(self.lang().t(
                    "Geplante Nachrichten sind nur Text – Anhang entfernen oder jetzt senden",
                    "Scheduled messages are text only – remove the file or send now",
                ))
            } else if self.composer.text().trim().is_empty() {
                Some(
                    self.lang()
                        .t("Erst den Text schreiben", "Write the text first"),
                )
            } else {
                None
            };
            if let Some(why) = why {
                self.flash = Some(why.into());
                return vec![];
            }
        }
        let (choices, selected) =
            super::when::choices(purpose, self.now, self.cfg.hours.as_ref(), self.lang());
        self.overlay = Some(Overlay::When {
            purpose,
            choices,
            selected,
            input: TextInput::default(),
        });
        vec![]
    }

    fn when_error(&self, e: super::when::WhenError) -> String {
        match e {
            super::when::WhenError::Past => self
                .lang()
                .t(
                    "Dieser Zeitpunkt ist schon vorbei",
                    "That time has already passed",
                )
                .into(),
            super::when::WhenError::Unreadable => self
                .lang()
                .t(
                    "Nicht verstanden – z. B. „morgen 14:00“, „Mo 9“, „24.12. 10:00“",
                    "Not understood – e.g. \"tomorrow 14:00\", \"Mon 9\", \"24.12. 10:00\"",
                )
                .into(),
        }
    }
}
