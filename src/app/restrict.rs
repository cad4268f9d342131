//! `S`: marking the customer's last message as special-category or third-party data
//! (R-E4, R-C14) — its content is then the owner's to see — or lifting the mark.

use super::*;
use crate::domain::Sensitive;

/// The choices, in order: a mark, or none.
pub const CHOICES: [Option<Sensitive>; 3] =
    [Some(Sensitive::Art9), Some(Sensitive::ThirdParty), None];

pub fn label(choice: Option<Sensitive>, lang: i18n::Lang) -> String {
    match choice {
        Some(s) => s.describe(lang == i18n::Lang::De).to_string(),
        None => lang
            .t(
                "Markierung aufheben (nur Inhaber/in)",
                "Lift the mark (owner only)",
            )
            .to_string(),
    }
}

impl App {
    pub(super) fn restrict_choices(&mut self) -> Vec<Effect> {
        if let Some(target) = self.react_target().map(|m| m.id) {
            self.overlay = Some(Overlay::Restrict {
                selected: 0,
                target,
            });
        } else {
            self.flash = Some(
                self.lang()
                    .t(
                        "Keine Kundennachricht zum Einschränken (Unterhaltung öffnen)",
                        "No customer message to restrict (open the conversation)",
                    )
                    .into(),
            );
        }
        vec![]
    }

    pub(super) fn restrict(&mut self, idx: usize, target: MessageId) -> Vec<Effect> {
        self.overlay = None;
        let Some(mark) = CHOICES.get(idx).copied() else {
            return vec![];
        };
        vec![Effect::Command(Command::MarkSensitive {
            message: target,
            mark,
        })]
    }
}
