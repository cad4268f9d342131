//! `tresen order …`: a conversation's offer and order — consumer or not, accepted (and
//! how the right of withdrawal is handled), declined, work begun, the early-start
//! request (R-E1, R-E2, R-E5); the use cases are `lifecycle::orders`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use crate::app::i18n::Lang;
use crate::cli::books::Books;
use crate::cli::inbox::safe;
use crate::compliance::orders::Ground;
use crate::config::{Config, Paths};
use crate::domain::{MessageId, Timestamp};
use crate::lifecycle::orders::{OrderChange, OrderView, WithdrawalView};
use crate::protocol::books::{Answer, Ask};

#[derive(Debug, Subcommand)]
pub enum OrderCommand {
    /// Mark the customer as a consumer (§ 13 BGB): their orders need the
    /// Widerrufsbelehrung before they are accepted
    Consumer {
        /// The conversation, as for `show`
        conversation: String,
        /// Not a consumer (a business customer)
        #[arg(long)]
        no: bool,
    },
    /// The customer accepted the offer
    ///
    /// For a consumer this needs one of two things first: the Widerrufsbelehrung sent in
    /// the conversation (`tresen send KUNDE --template Widerrufsbelehrung`), or — for an
    /// urgent repair the customer expressly asked for, which has no right of withdrawal —
    /// their message saying so (--urgent-request MESSAGE, as `tresen show` numbers it).
    Accept {
        conversation: String,
        /// The customer's message asking for an urgent repair (§ 312g Abs. 2 Nr. 11 BGB)
        #[arg(long, value_name = "MESSAGE")]
        urgent_request: Option<i64>,
    },
    /// The customer declined the offer: the conversation is then kept only as long as
    /// `[retention] failed_offer_months` says, unless something else in it needs longer
    Decline { conversation: String },
    /// The work begins (warns when a consumer's withdrawal period is still running and
    /// their express request to begin early is not on record)
    Start { conversation: String },
    /// Link the customer's express request to begin before the withdrawal period ends
    /// (their answer to `--template "Vorzeitiger Beginn"`)
    EarlyStart {
        conversation: String,
        #[arg(long, value_name = "MESSAGE")]
        request: i64,
    },
    /// A conversation's offer and order, with the withdrawal deadline
    Show {
        conversation: String,
        #[arg(long)]
        json: bool,
    },
    /// Every offer and order
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run_order(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: OrderCommand,
) -> Result<ExitCode> {
    let p = crate::profile::open(config, paths, prompt)?;
    run(&mut Books::here(config, p), cmd)
}

/// On the profile this command opened, or through the daemon.
pub(crate) fn run(books: &mut Books, cmd: OrderCommand) -> Result<ExitCode> {
    let lang = books.lang();
    let (conversation, change) = match cmd {
        OrderCommand::Show { conversation, json } => {
            let v = orders(books.ask(Ask::Orders {
                conversation: Some(conversation),
            })?)?;
            return print(&v, json, lang);
        }
        OrderCommand::List { json } => {
            let v = orders(books.ask(Ask::Orders { conversation: None })?)?;
            if v.is_empty() && !json {
                crate::outln!(
                    "{}",
                    lang.t("Keine Angebote oder Aufträge", "no offers or orders")
                );
            }
            return print(&v, json, lang);
        }
        OrderCommand::Consumer { conversation, no } => {
            (conversation, OrderChange::Consumer { consumer: !no })
        }
        OrderCommand::Accept {
            conversation,
            urgent_request,
        } => (
            conversation,
            OrderChange::Accept {
                urgent_request: urgent_request.map(MessageId),
            },
        ),
        OrderCommand::Decline { conversation } => (conversation, OrderChange::Decline),
        OrderCommand::Start { conversation } => (conversation, OrderChange::Start),
        OrderCommand::EarlyStart {
            conversation,
            request,
        } => (
            conversation,
            OrderChange::EarlyStart {
                request: MessageId(request),
            },
        ),
    };
    let v = orders(books.ask(Ask::Order {
        conversation,
        change,
    })?)?;
    print(&v, false, lang)
}

fn orders(o: crate::seat::books::Outcome) -> Result<Vec<OrderView>> {
    match o.answer {
        Answer::Orders { orders } => Ok(orders),
        _ => Err(anyhow::anyhow!("the daemon answered something else")),
    }
}

fn day(t: Timestamp, lang: Lang) -> String {
    date(t.to_local().date_naive(), lang)
}

fn date(d: chrono::NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::De => d.format("%d.%m.%Y").to_string(),
        Lang::En => d.to_string(),
    }
}

fn print(views: &[OrderView], json: bool, lang: Lang) -> Result<ExitCode> {
    if json {
        crate::out::json(&views)?;
        return Ok(ExitCode::SUCCESS);
    }
    let de = lang == Lang::De;
    for v in views {
        let s = &v.state;
        crate::outln!("{} ({})", safe(&v.title), safe(&s.conversation));
        crate::outln!(
            "  {} {}",
            lang.t("Verbraucher:", "consumer:"),
            match (s.consumer, de) {
                (true, true) => "ja",
                (false, true) => "nein",
                (true, false) => "yes",
                (false, false) => "no",
            }
        );
        if let Some(o) = s.offer {
            crate::outln!(
                "  {} {}",
                lang.t("Angebot gesendet:", "offer sent:"),
                day(o, lang)
            );
        }
        if let Some(d) = s.declined {
            crate::outln!(
                "  {} {}",
                lang.t("abgelehnt am", "declined on"),
                day(d, lang)
            );
        }
        if let Some((at, ground)) = &s.accepted {
            let how = match ground {
                Ground::Business => lang.t("kein Verbraucher", "not a consumer").to_string(),
                Ground::Informed { sent, .. } => format!(
                    "{} {}",
                    lang.t(
                        "Widerrufsbelehrung gesendet am",
                        "Widerrufsbelehrung sent on"
                    ),
                    day(*sent, lang)
                ),
                Ground::UrgentRepair { request } => format!(
                    "{} „{}“",
                    lang.t(
                        "dringende Reparatur auf ausdrücklichen Wunsch:",
                        "urgent repair, expressly requested:"
                    ),
                    safe(&request.text)
                ),
            };
            crate::outln!(
                "  {} {} — {how}",
                lang.t("angenommen am", "accepted on"),
                day(*at, lang)
            );
        }
        match &v.withdrawal {
            WithdrawalView::None => {}
            WithdrawalView::Excluded => crate::outln!(
                "  {}",
                lang.t(
                    "Widerrufsrecht: keins (dringende Reparatur, § 312g Abs. 2 Nr. 11 BGB)",
                    "right of withdrawal: none (urgent repair, § 312g Abs. 2 Nr. 11 BGB)"
                )
            ),
            WithdrawalView::Ends { on } => crate::outln!(
                "  {} {}",
                lang.t("Widerrufsfrist endet am", "withdrawal period ends on"),
                date(*on, lang)
            ),
            WithdrawalView::EndsUninformed { on } => crate::outln!(
                "  ⚠ {} {}",
                lang.t(
                    "keine Widerrufsbelehrung vermerkt: die Widerrufsfrist läuft bis",
                    "no Widerrufsbelehrung on record: the withdrawal period runs until"
                ),
                date(*on, lang)
            ),
        }
        if let Some(w) = s.work_started {
            crate::outln!(
                "  {} {}",
                lang.t("Arbeitsbeginn:", "work began:"),
                day(w, lang)
            );
        }
        if let Some(q) = &s.early_start {
            crate::outln!(
                "  {} „{}“",
                lang.t("Wunsch nach vorzeitigem Beginn:", "asked to begin early:"),
                safe(&q.text)
            );
        }
        if v.early_start_missing {
            crate::outln!(
                "  ⚠ {}",
                lang.t(
                    "Arbeitsbeginn in der Widerrufsfrist ohne ausdrücklichen Wunsch des Kunden: `tresen send KUNDE --template \"Vorzeitiger Beginn\"`, dann die Antwort mit `tresen order early-start KUNDE --request NACHRICHT` verknüpfen",
                    "work began inside the withdrawal period without the customer's express request: `tresen send CUSTOMER --template \"Vorzeitiger Beginn\"`, then link the answer with `tresen order early-start CUSTOMER --request MESSAGE`"
                )
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
