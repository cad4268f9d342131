//! `tresen retention plan|apply|rules` and `tresen hold set|release|list`: what the
//! archive must keep until when, holds beyond that, and destroying what has expired.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::NaiveDate;

use crate::archive::Archive;
use crate::archive::keys::Keys;
use crate::archive::retention::{self, HoldKind, HoldScope};
use crate::cli::common::reader;
use crate::config::{Config, Paths};
use crate::domain::sanitize_for_terminal;
use crate::error::UsageError;
use crate::lifecycle::{HoldChange, HoldDone, RetentionPlan, gather, policy, store_labels, today};
use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// What has reached the end of its retention period, and what holds keep (dry run)
    Plan {
        /// Evaluate as of this day instead of today (YYYY-MM-DD)
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Destroy what `plan` lists as expired: keys destroyed, inbox copies deleted
    ///
    /// Irreversible. Each removal leaves a tombstone in the archive (what, under which
    /// rule); the chain stays verifiable.
    Apply {
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// The retention classes, their periods and legal basis
    Rules,
    /// Decide the retention class of one message or file: confirm or correct a file
    /// recognised as an invoice, or class a single message (recorded with your name)
    ///
    /// A file that looks like an invoice (a PDF named Rechnung, an XRechnung, a PDF with
    /// an embedded ZUGFeRD/Factur-X invoice) is kept as buchungsbeleg (8 years) until
    /// someone decides; `retention plan` and `compliance check` list those waiting.
    /// Examples:
    ///   tresen retention item 1234/1 --class buchungsbeleg --reason "Rechnung 2026-0815"
    ///   tresen retention item 1234/2 --class handelsbrief --reason "Prospekt, keine Rechnung"
    Item {
        /// MESSAGE/FILE as `tresen show` prints it ([attachment 1234/1]), or MESSAGE for
        /// the message with all its files
        item: String,
        /// The class: keine_pflicht, handelsbrief, buchungsbeleg or buch (see `retention rules`)
        #[arg(long)]
        class: String,
        /// Why (recorded in the archive)
        #[arg(long)]
        reason: String,
    },
}

/// `tresen retention item`'s decision from its arguments.
pub(crate) fn item_decision(
    item: &str,
    class: String,
    reason: String,
    lang: crate::app::i18n::Lang,
) -> Result<crate::lifecycle::items::ItemDecision, UsageError> {
    let de = lang == crate::app::i18n::Lang::De;
    let bad = || {
        UsageError(if de {
            format!(
                "`{item}` ist keine Nachricht oder Datei: NACHRICHT oder NACHRICHT/DATEI angeben, wie `tresen show` sie zeigt (z. B. 1234/1)"
            )
        } else {
            format!(
                "`{item}` is not a message or file: use MESSAGE or MESSAGE/FILE as `tresen show` prints it (e.g. 1234/1)"
            )
        })
    };
    let (m, i) = match item.split_once('/') {
        Some((m, i)) => (m, Some(i)),
        None => (item, None),
    };
    let message: i64 = m.trim().parse().map_err(|_| bad())?;
    let index = match i {
        Some(i) => match i.trim().parse::<usize>() {
            Ok(n) if n > 0 => Some(n - 1),
            _ => return Err(bad()),
        },
        None => None,
    };
    if !retention::CLASSES.contains(&class.as_str()) {
        let classes = retention::CLASSES.join(", ");
        return Err(UsageError(if de {
            format!("keine Aufbewahrungsklasse `{class}`: eine von {classes}")
        } else {
            format!("no retention class `{class}`: use one of {classes}")
        }));
    }
    if reason.trim().is_empty() {
        return Err(UsageError(
            if de {
                "den Grund mit --reason angeben"
            } else {
                "say why with --reason"
            }
            .into(),
        ));
    }
    Ok(crate::lifecycle::items::ItemDecision {
        message: crate::domain::MessageId(message),
        index,
        class,
        reason,
        german: de,
    })
}

/// What a class decision recorded, as the command line says it (`item` as typed).
pub(crate) fn print_item(
    item: &str,
    c: &crate::archive::retention::ItemClass,
    lang: crate::app::i18n::Lang,
) -> Result<ExitCode> {
    let item = sanitize_for_terminal(item, false);
    if lang == crate::app::i18n::Lang::De {
        crate::outln!("{item} als {} eingestuft (im Archiv festgehalten)", c.class);
    } else {
        crate::outln!("{item} classed {} (recorded in the archive)", c.class);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HoldKindArg {
    Legal,
    Tax,
    Warranty,
}

#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Keep data beyond its retention period (litigation, tax audit, warranty)
    Set {
        /// A conversation (its remote id: phone number or room id)
        #[arg(long, group = "scope")]
        conversation: Option<String>,
        /// Account of --conversation (default: any)
        #[arg(long, requires = "conversation")]
        account: Option<String>,
        /// Everything with a customer (number or handle)
        #[arg(long, group = "scope")]
        contact: Option<String>,
        /// Everything from this day … (with --to)
        #[arg(long, requires = "to", group = "scope")]
        from: Option<NaiveDate>,
        #[arg(long, requires = "from")]
        to: Option<NaiveDate>,
        /// Everything
        #[arg(long, group = "scope")]
        global: bool,
        #[arg(long, value_enum, default_value = "legal")]
        kind: HoldKindArg,
        /// Why (recorded in the archive)
        #[arg(long)]
        reason: String,
        /// Ends by itself after this day
        #[arg(long)]
        until: Option<NaiveDate>,
    },
    /// End a hold
    Release {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Holds in force
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run_retention(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: RetentionCommand,
) -> Result<ExitCode> {
    let tags = config.retention.tag_pairs();
    let policy = policy(&config.retention, &tags);
    match cmd {
        RetentionCommand::Rules => {
            for r in retention::RULES {
                crate::outln!(
                    "{:<14} {:>2} J. ab {}  {} — {}",
                    r.class,
                    r.years,
                    r.valid_from,
                    r.title_de,
                    r.legal_basis
                );
            }
            crate::outln!(
                "{:<14} {:>2} J.                keine gesetzliche Pflicht (Löschkonzept, retention.no_statutory_years)",
                retention::NO_STATUTORY,
                config.retention.no_statutory_years
            );
            let lang = config.language();
            crate::outln!(
                "{}: {}",
                lang.t("Standardklasse", "default class"),
                config.retention.default_class
            );
            for (tag, class) in &tags {
                crate::outln!("{} {tag:<22} → {class}", lang.t("Label", "label"));
            }
            crate::outln!(
                "{}",
                lang.t(
                    "Die Fristen laufen bis zum 31. Dezember des Jahres, in dem die Nachricht entstand, plus die Jahre.",
                    "Periods run to 31 December of the year the message was made in plus the years."
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Plan { date, json } => {
            let p = crate::profile::open_read_only(config, paths, prompt)?;
            let dir = Archive::dir_of(&p.paths.data_dir);
            let mut keys = Keys::load(&dir, &p.key, !crate::archive::segments(&dir)?.is_empty())?;
            let facts = gather(&dir, &mut keys, &store_labels(&p.store)?)?;
            let mut plan = RetentionPlan::of(&facts, &policy, date.unwrap_or_else(today));
            plan.unconfirmed = crate::lifecycle::items::listed(&p.store, &facts.unconfirmed);
            crate::cli::books::print_plan(&plan, json, config.language())?;
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Apply { yes } => {
            let p = crate::profile::open(config, paths, prompt)?;
            let mut books = crate::cli::books::Books::here(config, p);
            crate::cli::books::retention_apply(&mut books, yes)
        }
        RetentionCommand::Item {
            item,
            class,
            reason,
        } => {
            let decision = item_decision(&item, class, reason, config.language())?;
            let mut p = crate::profile::open(config, paths, prompt)?;
            let archive = p.archive.as_mut().context("no archive")?;
            let recorded = crate::lifecycle::items::classify(
                archive,
                &p.store,
                decision,
                &config.staff_name(),
            )
            .map_err(|e| match e {
                crate::lifecycle::LifecycleError::Refused(m) => UsageError(m).into(),
                e => anyhow::Error::from(e),
            })?;
            print_item(&item, &recorded, config.language())
        }
    }
}

pub fn run_hold(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: HoldCommand,
) -> Result<ExitCode> {
    match cmd {
        HoldCommand::List { json } => {
            let r = reader(config, paths, prompt)?;
            let mut keys = r.keys()?;
            let facts = gather(&r.dir, &mut keys, &BTreeMap::new())?;
            if json {
                crate::out::json(&facts.holds)?;
            } else if facts.holds.is_empty() {
                crate::outln!("{}", config.language().t("keine Löschsperren", "no holds"));
            } else {
                let de = config.language() == crate::app::i18n::Lang::De;
                for h in &facts.holds {
                    let by = sanitize_for_terminal(&h.by, false);
                    let on = h.at.to_local().format("%d.%m.%Y");
                    let what = sanitize_for_terminal(&h.describe_in(de), false).into_owned();
                    if de {
                        let until = h.until.map(|u| format!(", bis {u}")).unwrap_or_default();
                        crate::outln!("{what} (gesetzt von {by} am {on}{until})");
                    } else {
                        let until = h.until.map(|u| format!(", until {u}")).unwrap_or_default();
                        crate::outln!("{what} (set by {by} on {on}{until})");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        cmd => {
            let mut p = crate::profile::open(config, paths, prompt)?;
            let change = hold_change(cmd, |key| {
                use crate::store::StoreRead as _;
                Ok(p.store.find_conversation(key)?)
            })?;
            let archive = p.archive.as_mut().context("no archive")?;
            let done =
                crate::lifecycle::holds::apply(archive, change.clone(), config.staff_name())?;
            print_hold(&change, &done, config.language())
        }
    }
}

/// The hold change a `hold set|release` asks for; `find` looks a conversation up.
pub(crate) fn hold_change(
    cmd: HoldCommand,
    find: impl FnOnce(&str) -> Result<Option<crate::domain::Conversation>>,
) -> Result<HoldChange> {
    match cmd {
        HoldCommand::List { .. } => Err(anyhow::anyhow!("`hold list` changes nothing")),
        HoldCommand::Release { id, reason } => Ok(HoldChange::Release { id, reason }),
        HoldCommand::Set {
            conversation,
            account,
            contact,
            from,
            to,
            global,
            kind,
            reason,
            until,
        } => {
            if reason.trim().is_empty() {
                return Err(UsageError("a hold needs a --reason".into()).into());
            }
            let scope = match (conversation, contact, from.zip(to), global) {
                (Some(c), _, _, _) => match account {
                    Some(account) => HoldScope::Conversation {
                        account,
                        conversation: c,
                    },
                    None => {
                        let conv = find(&c)?.ok_or_else(|| {
                            UsageError(format!(
                                "no conversation `{c}`; give --account with the remote id"
                            ))
                        })?;
                        HoldScope::Conversation {
                            account: conv.account.0,
                            conversation: conv.remote_id,
                        }
                    }
                },
                (None, Some(address), _, _) => HoldScope::Contact { address },
                (None, None, Some((from, to)), _) => {
                    if from > to {
                        return Err(UsageError("--from is after --to".into()).into());
                    }
                    HoldScope::Range { from, to }
                }
                (None, None, None, true) => HoldScope::Global,
                _ => {
                    return Err(UsageError(
                        "say what to hold: --conversation, --contact, --from/--to or --global"
                            .into(),
                    )
                    .into());
                }
            };
            let kind = match kind {
                HoldKindArg::Legal => HoldKind::Legal,
                HoldKindArg::Tax => HoldKind::Tax,
                HoldKindArg::Warranty => HoldKind::Warranty,
            };
            Ok(HoldChange::Set {
                scope,
                kind,
                reason,
                until,
            })
        }
    }
}

/// What a hold change did, as the command line says it.
pub(crate) fn print_hold(
    change: &HoldChange,
    done: &HoldDone,
    lang: crate::app::i18n::Lang,
) -> Result<ExitCode> {
    let de = lang == crate::app::i18n::Lang::De;
    match (change, done) {
        (_, HoldDone::Set(hold)) => {
            crate::outln!("{}", sanitize_for_terminal(&hold.describe_in(de), false));
            if de {
                crate::outln!("aufheben mit `tresen hold release {} --reason …`", hold.id);
            } else {
                crate::outln!("release with `tresen hold release {} --reason …`", hold.id);
            }
        }
        (HoldChange::Release { id, .. }, HoldDone::Released(true)) => {
            if de {
                crate::outln!("Löschsperre {id} aufgehoben");
            } else {
                crate::outln!("hold {id} released");
            }
        }
        (HoldChange::Release { id, .. }, HoldDone::Released(false)) => {
            return Err(UsageError(if de {
                format!("keine Löschsperre `{id}` in Kraft (siehe `tresen hold list`)")
            } else {
                format!("no hold `{id}` in force (see `tresen hold list`)")
            })
            .into());
        }
        (HoldChange::Set { .. }, HoldDone::Released(_)) => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// `hold set|release` through the daemon.
pub(crate) fn hold_attached(
    rt: &tokio::runtime::Runtime,
    remote: &crate::seat::remote::Remote,
    cmd: HoldCommand,
    lang: crate::app::i18n::Lang,
) -> Result<ExitCode> {
    let change = hold_change(cmd, |key| {
        rt.block_on(remote.call::<_, Option<crate::domain::Conversation>>("find", &key))
            .map_err(|e| anyhow::anyhow!(e.message))
    })?;
    let done = rt
        .block_on(crate::seat::Seat::order(
            remote,
            crate::protocol::Order::Hold {
                change: change.clone(),
            },
            "",
        ))
        .map_err(UsageError)?;
    let done = done
        .hold
        .ok_or_else(|| anyhow::anyhow!("the daemon did not say what it did"))?;
    print_hold(&change, &done, lang)
}

/// `retention item` through the daemon (the other retention commands run on the
/// profile itself).
pub(crate) fn run_attached(
    rt: &tokio::runtime::Runtime,
    remote: &crate::seat::remote::Remote,
    cmd: RetentionCommand,
    lang: crate::app::i18n::Lang,
) -> Result<ExitCode> {
    let RetentionCommand::Item {
        item,
        class,
        reason,
    } = cmd
    else {
        return Err(anyhow::anyhow!(
            "this command does not attach to the daemon"
        ));
    };
    let decision = item_decision(&item, class, reason, lang)?;
    let done = rt
        .block_on(crate::seat::Seat::order(
            remote,
            crate::protocol::Order::ClassifyItem { decision },
            "",
        ))
        .map_err(UsageError)?;
    let recorded = done
        .item_class
        .ok_or_else(|| anyhow::anyhow!("the daemon did not say what it did"))?;
    print_item(&item, &recorded, lang)
}
