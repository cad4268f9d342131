//! `O`: a step of the open conversation's offer or order (R-E1, R-E2, R-E5) — consumer
//! or not, accepted (with the Widerrufsbelehrung, or as an urgent repair the customer
//! asked for), declined, work begun, the customer's request to begin early — picked
//! from a list and carried out by the engine as `tresen order` does.

use super::*;
use crate::compliance::orders::OrderChange;

/// The steps in the list, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Consumer,
    NotConsumer,
    Accept,
    AcceptUrgent,
    Decline,
    Start,
    EarlyStart,
}

pub const STEPS: [Step; 7] = [
    Step::Consumer,
    Step::NotConsumer,
    Step::Accept,
    Step::AcceptUrgent,
    Step::Decline,
    Step::Start,
    Step::EarlyStart,
];

impl Step {
    pub fn label(self, lang: i18n::Lang) -> &'static str {
        match self {
            Step::Consumer => lang.t(
                "Kunde ist Verbraucher (Annahme erst nach Widerrufsbelehrung)",
                "The customer is a consumer (accepted only after the Widerrufsbelehrung)",
            ),
            Step::NotConsumer => lang.t("Kunde ist kein Verbraucher", "Not a consumer"),
            Step::Accept => lang.t("Angebot angenommen", "Offer accepted"),
            Step::AcceptUrgent => lang.t(
                "Angenommen: dringende Reparatur auf Wunsch (letzte Kundennachricht)",
                "Accepted: urgent repair on request (the customer's last message)",
            ),
            Step::Decline => lang.t(
                "Angebot abgelehnt (kürzere Aufbewahrung)",
                "Offer declined (kept for a shorter time)",
            ),
            Step::Start => lang.t("Arbeitsbeginn", "Work begins"),
            Step::EarlyStart => lang.t(
                "Wunsch nach vorzeitigem Beginn: letzte Kundennachricht verknüpfen",
                "Request to begin early: link the customer's last message",
            ),
        }
    }

    /// Needs a customer message: the last one in the open conversation.
    fn quotes(self) -> bool {
        matches!(self, Step::AcceptUrgent | Step::EarlyStart)
    }
}

impl App {
    pub(super) fn order_steps(&mut self) -> Vec<Effect> {
        if self.target().is_some() {
            self.overlay = Some(Overlay::OrderSteps { selected: 0 });
        }
        vec![]
    }

    pub(super) fn order_step(&mut self, idx: usize) -> Vec<Effect> {
        self.overlay = None;
        let (Some(step), Some(conversation)) = (STEPS.get(idx).copied(), self.target()) else {
            return vec![];
        };
        let quoted = if step.quotes() {
            match self
                .react_target()
                .filter(|_| self.open.as_ref().is_some_and(|o| o.id == conversation))
            {
                Some(m) => Some(m.id),
                None => {
                    self.flash = Some(
                        self.lang()
                            .t(
                                "Dafür die Unterhaltung öffnen: die letzte Kundennachricht wird verknüpft",
                                "Open the conversation for this: the customer's last message is linked",
                            )
                            .into(),
                    );
                    return vec![];
                }
            }
        } else {
            None
        };
        let change = match (step, quoted) {
            (Step::Consumer, _) => OrderChange::Consumer { consumer: true },
            (Step::NotConsumer, _) => OrderChange::Consumer { consumer: false },
            (Step::Accept, _) => OrderChange::Accept {
                urgent_request: None,
            },
            (Step::AcceptUrgent, request) => OrderChange::Accept {
                urgent_request: request,
            },
            (Step::Decline, _) => OrderChange::Decline,
            (Step::Start, _) => OrderChange::Start,
            (Step::EarlyStart, Some(request)) => OrderChange::EarlyStart { request },
            (Step::EarlyStart, None) => return vec![],
        };
        vec![Effect::Command(Command::OrderStep {
            conversation,
            change,
        })]
    }
}

/// One line for the status line after a step: where the order stands now.
pub fn summary(v: &crate::compliance::orders::OrderView, lang: i18n::Lang) -> String {
    use crate::compliance::orders::Ground;
    use crate::compliance::orders::WithdrawalView;
    let de = lang == i18n::Lang::De;
    let day = |d: chrono::NaiveDate| match lang {
        i18n::Lang::De => d.format("%d.%m.%Y").to_string(),
        i18n::Lang::En => d.to_string(),
    };
    let s = &v.state;
    if v.early_start_missing {
        return lang
            .t(
                "⚠ Arbeitsbeginn in der Widerrufsfrist ohne ausdrücklichen Wunsch des Kunden: Textbaustein „Vorzeitiger Beginn“ senden, die Antwort mit O verknüpfen",
                "⚠ Work begins inside the withdrawal period without the customer's express request: send the quick reply “Vorzeitiger Beginn”, link the answer with O",
            )
            .to_string();
    }
    if let Some((_, ground)) = &s.accepted {
        let how = match (&v.withdrawal, ground) {
            (WithdrawalView::Ends { on }, _) => match de {
                true => format!("Widerrufsfrist bis {}", day(*on)),
                false => format!("withdrawal period until {}", day(*on)),
            },
            (_, Ground::UrgentRepair { .. }) => lang
                .t(
                    "dringende Reparatur: kein Widerrufsrecht",
                    "urgent repair: no right of withdrawal",
                )
                .to_string(),
            _ => lang.t("kein Verbraucher", "not a consumer").to_string(),
        };
        let started = if s.work_started.is_some() {
            lang.t(" · Arbeit begonnen", " · work begun")
        } else {
            ""
        };
        return format!(
            "{} – {how}{started}",
            lang.t("Auftrag angenommen", "Order accepted")
        );
    }
    if s.declined.is_some() {
        return lang.t("Angebot abgelehnt", "Offer declined").to_string();
    }
    match s.consumer {
        true => lang
            .t(
                "Verbraucher: Annahme erst nach der Widerrufsbelehrung (Textbaustein)",
                "Consumer: accept only after the Widerrufsbelehrung (quick reply)",
            )
            .to_string(),
        false => lang.t("Kein Verbraucher", "Not a consumer").to_string(),
    }
}
