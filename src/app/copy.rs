//! Taking things out of a conversation: copying the customer's message, number or name
//! for the ERP or an e-mail (the terminal does the copying, OSC 52, so it works over
//! SSH too), and opening the web links customers send.

use super::*;

impl App {
    /// `y`: what can be copied from the conversation in view (or the one selected).
    pub(super) fn offer_copy(&mut self) -> Vec<Effect> {
        let lang = self.lang();
        let mut items = Vec::new();
        if let Some(open) = &self.open {
            // The message found or highlighted, else the customer's newest; a restricted
            // one the reader may not see has no text to copy (R-E4).
            let message = open
                .highlight
                .and_then(|h| open.messages.iter().find(|m| m.id == h))
                .or_else(|| self.react_target())
                .filter(|m| !m.display_body().is_empty());
            if let Some(m) = message {
                items.push((
                    lang.t("Nachricht", "Message").to_string(),
                    m.display_body().to_string(),
                ));
            }
        }
        if let Some(c) = self.target().and_then(|id| self.conversation(id)) {
            if let Some(ct) = &c.contact {
                items.push((
                    lang.t("Nummer / Kennung", "Number / handle").to_string(),
                    ct.address().to_string(),
                ));
                items.push((lang.t("Name", "Name").to_string(), ct.display_name.clone()));
            } else {
                items.push((lang.t("Name", "Name").to_string(), c.title.clone()));
            }
        }
        if items.is_empty() {
            self.flash = Some(lang.t("Nichts zu kopieren", "Nothing to copy").into());
            return vec![];
        }
        self.overlay = Some(Overlay::Copy { selected: 0, items });
        vec![]
    }

    /// Enter in the copy pop-up: the terminal puts the text on the clipboard.
    pub(super) fn copy(&mut self, selected: usize) -> Vec<Effect> {
        let Some(Overlay::Copy { items, .. }) = self.overlay.take() else {
            return vec![];
        };
        let Some((what, text)) = items.into_iter().nth(selected) else {
            return vec![];
        };
        self.flash = Some(format!(
            "{what} {}",
            self.lang().t(
                "kopiert (wenn das Terminal die Zwischenablage freigibt)",
                "copied (if the terminal allows clipboard access)"
            )
        ));
        vec![Effect::Copy(text)]
    }

    /// `b`: the web links in the conversation's messages, newest first.
    pub(super) fn offer_links(&mut self) -> Vec<Effect> {
        let mut links: Vec<String> = Vec::new();
        if let Some(open) = &self.open {
            for m in open.messages.iter().rev() {
                for l in crate::domain::links::find(m.display_body()) {
                    if !links.contains(&l) {
                        links.push(l);
                    }
                }
            }
        }
        if links.is_empty() {
            self.flash = Some(
                self.lang()
                    .t(
                        "Keine Links in dieser Unterhaltung",
                        "No links in this conversation",
                    )
                    .into(),
            );
            return vec![];
        }
        self.overlay = Some(Overlay::Links { selected: 0, links });
        vec![]
    }
}
