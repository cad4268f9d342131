//! Offers and orders with consumers (R-E1, R-E2, R-E5): whether a customer is a
//! consumer, whether an order was accepted and on which ground the right of withdrawal
//! is handled, the withdrawal deadline, an early start of the work, and offers that came
//! to nothing. Pure: the archive keeps the records, `lifecycle::orders` reads and writes
//! them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

/// The document tag of an offer (`tresen send --tag angebot`).
pub const OFFER_TAG: &str = "angebot";
/// The tag the Widerrufsbelehrung goes out with (`--template Widerrufsbelehrung`).
pub const BELEHRUNG_TAG: &str = "widerrufsbelehrung";
/// The tag of the question whether work may begin before the withdrawal period ends.
pub const EARLY_START_TAG: &str = "vorzeitiger_beginn";
/// A conversation label that makes it a consumer's order (R-E1).
pub const CONSUMER_ORDER_LABEL: &str = "auftrag_verbraucher";

/// Days of the withdrawal period (§ 355 Abs. 2 BGB).
pub const WITHDRAWAL_DAYS: u64 = 14;

/// What happened to a conversation's offer or order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum OrderEvent {
    /// The customer is a consumer (§ 13 BGB), or not.
    Consumer { consumer: bool },
    /// The order was accepted, and how withdrawal is handled.
    Accepted { ground: Ground },
    /// The customer declined the offer.
    Declined,
    /// The work began.
    WorkStarted,
    /// The customer's express request to begin before the withdrawal period ends
    /// (R-E2), quoted.
    EarlyStart { request: Quote },
}

/// How a consumer's right of withdrawal is handled for an accepted order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "ground")]
pub enum Ground {
    /// Not a consumer: no right of withdrawal.
    Business,
    /// The Widerrufsbelehrung with the model form went out: the archived message.
    Informed { belehrung: String, sent: Timestamp },
    /// Urgent repair at the customer's express request (§ 312g Abs. 2 Nr. 11 BGB): their
    /// request, quoted.
    UrgentRepair { request: Quote },
}

/// A customer's message as it was when it was linked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The message's archive key (the network's id).
    pub message: String,
    pub text: String,
    pub at: Timestamp,
}

/// One event, as archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub account: String,
    pub conversation: String,
    #[serde(flatten)]
    pub event: OrderEvent,
    pub by: String,
    pub at: Timestamp,
}

/// A conversation's offer and order as its records tell it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub account: String,
    pub conversation: String,
    /// Marked as a consumer, or labelled `auftrag_verbraucher`.
    pub consumer: bool,
    /// The newest message sent with the tag `angebot`.
    pub offer: Option<Timestamp>,
    /// The newest Widerrufsbelehrung sent (archive key, when).
    pub belehrung: Option<(String, Timestamp)>,
    /// The newest early-start question sent.
    pub early_start_asked: Option<Timestamp>,
    pub accepted: Option<(Timestamp, Ground)>,
    pub declined: Option<Timestamp>,
    pub work_started: Option<Timestamp>,
    pub early_start: Option<Quote>,
}

/// Where the right of withdrawal stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawal {
    /// Not a consumer's order, or not accepted yet.
    None,
    /// No right of withdrawal: urgent repair at the customer's request.
    Excluded,
    /// The period ends on this day (14 days after the contract).
    Ends(NaiveDate),
    /// No information given: the period ends 12 months and 14 days after the contract
    /// (§ 356 Abs. 3 S. 2 BGB).
    EndsUninformed(NaiveDate),
}

impl OrderState {
    pub fn apply(&mut self, record: &OrderRecord) {
        match &record.event {
            OrderEvent::Consumer { consumer } => self.consumer = *consumer,
            OrderEvent::Accepted { ground } => {
                self.accepted = Some((record.at, ground.clone()));
                self.declined = None;
            }
            OrderEvent::Declined => self.declined = Some(record.at),
            OrderEvent::WorkStarted => self.work_started = Some(record.at),
            OrderEvent::EarlyStart { request } => self.early_start = Some(request.clone()),
        }
    }

    /// The withdrawal period of a consumer's accepted order (R-E1).
    pub fn withdrawal(&self) -> Withdrawal {
        match &self.accepted {
            None => Withdrawal::None,
            Some((_, Ground::Business)) => Withdrawal::None,
            Some((_, Ground::UrgentRepair { .. })) => Withdrawal::Excluded,
            Some((at, Ground::Informed { .. })) => {
                Withdrawal::Ends(at.to_local().date_naive() + chrono::Days::new(WITHDRAWAL_DAYS))
            }
        }
    }

    /// A consumer's order (the label says so) with no acceptance on record: if it was
    /// concluded without the information, the period runs 12 months and 14 days.
    pub fn uninformed_since(&self, labelled_on: NaiveDate) -> Withdrawal {
        Withdrawal::EndsUninformed(
            labelled_on
                .checked_add_months(chrono::Months::new(12))
                .unwrap_or(NaiveDate::MAX)
                + chrono::Days::new(WITHDRAWAL_DAYS),
        )
    }

    /// Work began inside the withdrawal period without the customer's express request
    /// to begin early on record (R-E2): they may withdraw and owe nothing for it.
    pub fn early_start_missing(&self) -> bool {
        let Withdrawal::Ends(end) = self.withdrawal() else {
            return false;
        };
        self.early_start.is_none()
            && self
                .work_started
                .is_some_and(|w| w.to_local().date_naive() <= end)
    }

    /// An offer that came to nothing (R-E5): the day it was made and the day it failed
    /// — declined, or with `lapse_days` not accepted within that many days. `None` while
    /// it is open, or once it was accepted.
    pub fn offer_failed(
        &self,
        lapse_days: Option<u32>,
        today: NaiveDate,
    ) -> Option<(NaiveDate, NaiveDate)> {
        if self.accepted.is_some() {
            return None;
        }
        let offered = self.offer.map(|o| o.to_local().date_naive());
        if let Some(declined) = self.declined {
            let declined = declined.to_local().date_naive();
            return Some((offered.unwrap_or(declined), declined));
        }
        let (offered, days) = (offered?, lapse_days?);
        let lapsed = offered + chrono::Days::new(u64::from(days));
        (today > lapsed).then_some((offered, lapsed))
    }
}

/// A conversation's offer and order as `tresen order show` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub title: String,
    pub state: OrderState,
    /// The withdrawal period (R-E1).
    pub withdrawal: WithdrawalView,
    /// Work began inside the period without the customer's express request (R-E2).
    pub early_start_missing: bool,
}

/// [`Withdrawal`] for the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum WithdrawalView {
    None,
    Excluded,
    Ends { on: NaiveDate },
    EndsUninformed { on: NaiveDate },
}

impl OrderView {
    /// The view of `state`, labelled `auftrag_verbraucher` since `labelled`.
    pub fn of(state: OrderState, labelled: Option<NaiveDate>, title: String) -> OrderView {
        let withdrawal = match (state.withdrawal(), labelled) {
            // Labelled a consumer's order but never accepted here: if it was concluded
            // without the information, the long period runs.
            (Withdrawal::None, Some(on)) if state.accepted.is_none() => state.uninformed_since(on),
            (w, _) => w,
        };
        OrderView {
            title,
            early_start_missing: state.early_start_missing(),
            withdrawal: match withdrawal {
                Withdrawal::None => WithdrawalView::None,
                Withdrawal::Excluded => WithdrawalView::Excluded,
                Withdrawal::Ends(on) => WithdrawalView::Ends { on },
                Withdrawal::EndsUninformed(on) => WithdrawalView::EndsUninformed { on },
            },
            state,
        }
    }
}

/// A step staff take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum OrderChange {
    /// Mark the customer as a consumer (§ 13 BGB), or not.
    Consumer {
        consumer: bool,
    },
    /// The customer accepted; for a consumer either the Widerrufsbelehrung went out or
    /// `urgent_request` is their message asking for an urgent repair.
    Accept {
        #[serde(default)]
        urgent_request: Option<crate::domain::MessageId>,
    },
    Decline,
    /// The work begins.
    Start,
    /// Link the customer's express request to begin before the period ends.
    EarlyStart {
        request: crate::domain::MessageId,
    },
}

/// The Widerrufsbelehrung for a service contract with the model withdrawal form, after
/// the statutory model (Anlage 1 und 2 zu Art. 246a § 1 Abs. 2 S. 2 EGBGB), addressed
/// with `firma` and `anschrift`. A contract that also delivers goods needs the model's
/// passages on goods: the firm's lawyer decides the text (`[[quick_replies]]` with the
/// name "Widerrufsbelehrung" replaces this one).
pub fn belehrung(firma: &str, anschrift: &str) -> String {
    format!(
        "Widerrufsbelehrung\n\n\
Widerrufsrecht\n\
Sie haben das Recht, binnen vierzehn Tagen ohne Angabe von Gründen diesen Vertrag zu widerrufen. \
Die Widerrufsfrist beträgt vierzehn Tage ab dem Tag des Vertragsabschlusses.\n\
Um Ihr Widerrufsrecht auszuüben, müssen Sie uns ({firma}, {anschrift}) mittels einer eindeutigen \
Erklärung (z. B. ein mit der Post versandter Brief oder eine Nachricht in diesem Chat) über Ihren \
Entschluss, diesen Vertrag zu widerrufen, informieren. Sie können dafür das unten stehende \
Muster-Widerrufsformular verwenden, das jedoch nicht vorgeschrieben ist.\n\
Zur Wahrung der Widerrufsfrist reicht es aus, dass Sie die Mitteilung über die Ausübung des \
Widerrufsrechts vor Ablauf der Widerrufsfrist absenden.\n\n\
Folgen des Widerrufs\n\
Wenn Sie diesen Vertrag widerrufen, haben wir Ihnen alle Zahlungen, die wir von Ihnen erhalten \
haben, unverzüglich und spätestens binnen vierzehn Tagen ab dem Tag zurückzuzahlen, an dem die \
Mitteilung über Ihren Widerruf dieses Vertrags bei uns eingegangen ist. Für diese Rückzahlung \
verwenden wir dasselbe Zahlungsmittel, das Sie bei der ursprünglichen Transaktion eingesetzt \
haben, es sei denn, mit Ihnen wurde ausdrücklich etwas anderes vereinbart; in keinem Fall werden \
Ihnen wegen dieser Rückzahlung Entgelte berechnet.\n\
Haben Sie verlangt, dass die Dienstleistungen während der Widerrufsfrist beginnen sollen, so \
haben Sie uns einen angemessenen Betrag zu zahlen, der dem Anteil der bis zu dem Zeitpunkt, zu \
dem Sie uns von der Ausübung des Widerrufsrechts hinsichtlich dieses Vertrags unterrichten, \
bereits erbrachten Dienstleistungen im Vergleich zum Gesamtumfang der im Vertrag vorgesehenen \
Dienstleistungen entspricht.\n\n\
Muster-Widerrufsformular\n\
(Wenn Sie den Vertrag widerrufen wollen, dann füllen Sie bitte dieses Formular aus und senden \
Sie es zurück.)\n\
– An {firma}, {anschrift}:\n\
– Hiermit widerrufe(n) ich/wir (*) den von mir/uns (*) abgeschlossenen Vertrag über die \
Erbringung der folgenden Dienstleistung (*)\n\
– Bestellt am (*)/erhalten am (*)\n\
– Name des/der Verbraucher(s)\n\
– Anschrift des/der Verbraucher(s)\n\
– Unterschrift des/der Verbraucher(s) (nur bei Mitteilung auf Papier)\n\
– Datum\n\
(*) Unzutreffendes streichen."
    )
}

/// The question whether work may begin before the withdrawal period ends (R-E2): the
/// customer's answer, linked with `tresen order early-start`, is the express request.
pub const EARLY_START_TEXT: &str = "Guten Tag {kunde}, sollen wir schon vor Ablauf der \
vierzehntägigen Widerrufsfrist mit den Arbeiten beginnen? Dann antworten Sie bitte mit: \
„Ja, bitte beginnen Sie vor Ablauf der Widerrufsfrist. Mir ist bekannt, dass ich bei einem \
Widerruf für die bis dahin erbrachten Leistungen einen angemessenen Betrag zahle.“";

/// The quick replies tresen brings along (the Widerrufsbelehrung, the early-start
/// question), filled with the firm's name and address; a configured quick reply of the
/// same name replaces one.
pub fn builtin_quick_replies(
    company: Option<&crate::compliance::company::CompanyConfig>,
) -> Vec<crate::domain::QuickReply> {
    let (firma, anschrift) = company.map_or(("[Firma]", "[Anschrift]"), |c| {
        (
            if c.firma.is_empty() {
                &c.owner
            } else {
                &c.firma
            },
            c.address.as_str(),
        )
    });
    vec![
        crate::domain::QuickReply {
            name: "Widerrufsbelehrung".into(),
            text: belehrung(firma, anschrift),
            tags: vec![BELEHRUNG_TAG.into()],
            vordruck: false,
        },
        crate::domain::QuickReply {
            name: "Vorzeitiger Beginn".into(),
            text: EARLY_START_TEXT.into(),
            tags: vec![EARLY_START_TAG.into()],
            vordruck: false,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Timestamp(
            d.and_hms_opt(12, 0, 0)
                .unwrap()
                .and_local_timezone(chrono::Local)
                .unwrap()
                .timestamp_millis(),
        )
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn record(event: OrderEvent, on: &str) -> OrderRecord {
        OrderRecord {
            account: "buero".into(),
            conversation: "+491701".into(),
            event,
            by: "Anna".into(),
            at: at(on),
        }
    }

    /// Accepted on 2 March 2026 after the Widerrufsbelehrung of 1 March.
    fn informed_acceptance() -> OrderRecord {
        record(
            OrderEvent::Accepted {
                ground: Ground::Informed {
                    belehrung: "local:7".into(),
                    sent: at("2026-03-01"),
                },
            },
            "2026-03-02",
        )
    }

    // R-E1: informed → 14 days; urgent repair → no right; uninformed → 12 months + 14
    // days.
    #[test]
    fn r_e1_the_withdrawal_period_follows_the_ground() {
        let mut s = OrderState {
            consumer: true,
            ..Default::default()
        };
        assert_eq!(s.withdrawal(), Withdrawal::None);
        s.apply(&informed_acceptance());
        assert_eq!(s.withdrawal(), Withdrawal::Ends(d("2026-03-16")));
        let mut urgent = OrderState::default();
        urgent.apply(&record(
            OrderEvent::Accepted {
                ground: Ground::UrgentRepair {
                    request: Quote {
                        message: "m1".into(),
                        text: "Rohrbruch, bitte sofort kommen!".into(),
                        at: at("2026-03-01"),
                    },
                },
            },
            "2026-03-01",
        ));
        assert_eq!(urgent.withdrawal(), Withdrawal::Excluded);
        assert_eq!(
            s.uninformed_since(d("2026-03-02")),
            Withdrawal::EndsUninformed(d("2027-03-16"))
        );
    }

    // R-E2: work inside the period without the express request → flagged; with it, or
    // after the period, not.
    #[test]
    fn r_e2_work_before_the_period_ends_needs_the_express_request() {
        let mut s = OrderState {
            consumer: true,
            ..Default::default()
        };
        s.apply(&informed_acceptance());
        s.apply(&record(OrderEvent::WorkStarted, "2026-03-05"));
        assert!(s.early_start_missing());
        s.apply(&record(
            OrderEvent::EarlyStart {
                request: Quote {
                    message: "m9".into(),
                    text: "Ja, bitte beginnen Sie vor Ablauf der Widerrufsfrist.".into(),
                    at: at("2026-03-03"),
                },
            },
            "2026-03-03",
        ));
        assert!(!s.early_start_missing());
        let mut late = OrderState::default();
        late.apply(&informed_acceptance());
        late.apply(&record(OrderEvent::WorkStarted, "2026-03-20"));
        assert!(!late.early_start_missing());
    }

    // R-E5: a declined offer failed on the day it was made; an open one lapses after the
    // configured days, never without them; an accepted one never fails.
    #[test]
    fn r_e5_an_offer_fails_when_declined_or_lapsed() {
        let mut s = OrderState {
            offer: Some(at("2025-02-01")),
            ..Default::default()
        };
        assert_eq!(s.offer_failed(None, d("2026-01-01")), None);
        assert_eq!(s.offer_failed(Some(90), d("2025-04-01")), None);
        assert_eq!(
            s.offer_failed(Some(90), d("2025-06-01")),
            Some((d("2025-02-01"), d("2025-05-02")))
        );
        s.apply(&record(OrderEvent::Declined, "2025-02-20"));
        assert_eq!(
            s.offer_failed(None, d("2025-02-21")),
            Some((d("2025-02-01"), d("2025-02-20")))
        );
        s.apply(&record(
            OrderEvent::Accepted {
                ground: Ground::Business,
            },
            "2025-03-01",
        ));
        assert_eq!(s.offer_failed(Some(1), d("2026-01-01")), None);
    }
}
