//! Actions: what each key of the keymap does.

use super::*;

impl App {
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
            Action::Open => match self.overlay_confirm() {
                Some(effects) => effects,
                None => self.open_selected(Focus::Conversation),
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
                                .t("Alle Konten sind gekoppelt", "Every account is linked")
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
            Action::Copy => self.offer_copy(),
            Action::Links => self.offer_links(),
            Action::React => {
                match self.react_target().map(|m| m.id) {
                    Some(target) => {
                        self.overlay = Some(Overlay::Reactions {
                            selected: 0,
                            target,
                        })
                    }
                    None => {
                        self.flash = Some(
                            self.lang()
                                .t(
                                    "Keine Kundennachricht zum Reagieren",
                                    "No customer message to react to",
                                )
                                .into(),
                        )
                    }
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
                    candidates: Vec::new(),
                });
                vec![]
            }
            Action::Jump => {
                self.overlay = Some(Overlay::Jump {
                    input: TextInput::default(),
                    matches: jump::fuzzy_matches(&self.conversations, "", "", 500),
                    selected: 0,
                });
                vec![]
            }
            Action::Search => {
                // A new search starts empty (typing used to append to the last query);
                // Ctrl-N/Ctrl-P still step through the last one's hits.
                self.overlay = Some(Overlay::SearchPrompt {
                    input: TextInput::default(),
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
            Action::SetWaiting => self.ask_when(super::when::WhenFor::FollowUp),
            Action::Done => self.set_state(TriageState::Done),
            Action::Snooze => self.ask_when(super::when::WhenFor::Snooze),
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
                vec![Effect::Command(Command::Local(LocalChange::Assign {
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
                vec![Effect::Command(Command::Local(LocalChange::MarkUnread {
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
            Action::OrderSteps => self.order_steps(),
            Action::Restrict => self.restrict_choices(),
            Action::CorrectContact => {
                let Some(id) = self.target() else {
                    return vec![];
                };
                match self.conversation(id).and_then(|c| c.contact.as_ref()) {
                    Some(contact) => {
                        self.overlay = Some(Overlay::ContactName {
                            input: TextInput::with_text(&contact.display_name),
                        });
                    }
                    None => {
                        self.flash = Some(
                            self.lang()
                                .t(
                                    "Ein Gruppenchat hat keine Kontaktdaten; im Einzelchat der Kundschaft berichtigen",
                                    "A group chat has no contact data; correct it in the customer's own chat",
                                )
                                .into(),
                        );
                    }
                }
                vec![]
            }
            Action::FilterState => {
                self.filter.state = self.filter.state.next();
                self.refilter();
                vec![]
            }
            Action::FilterNetwork => {
                // Only networks with conversations the state filter shows: a filter that
                // must show nothing ("??" with 0 conversations) is a trap.
                let (now, state) = (self.now, self.filter.state);
                let present: Vec<Channel> = Channel::ALL
                    .iter()
                    .copied()
                    .filter(|ch| {
                        self.conversations
                            .iter()
                            .any(|c| c.channel == *ch && state.accepts(c.state.effective(now)))
                    })
                    .collect();
                self.filter.channel = match self.filter.channel {
                    None => present.first().copied(),
                    Some(c) => present
                        .iter()
                        .position(|x| *x == c)
                        .and_then(|i| present.get(i + 1))
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
            Action::ScheduleSend if self.refuse_tagged_schedule() => vec![],
            Action::ScheduleSend => self.ask_when(super::when::WhenFor::Send),
            Action::CancelScheduled => self.cancel_scheduled(),
            Action::Queue => {
                self.filter.queue = !self.filter.queue;
                self.refilter();
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
}
