//! `tresen account link|register signal` beside a running daemon: the daemon's Signal
//! connector holds the one connection to signal-cli and does the steps; the command
//! shows the code to scan, asks for the captcha, the code and the PIN on the seat.

use std::process::ExitCode;

use anyhow::{Result, anyhow};

use crate::app::i18n::Lang;
use crate::cli::signal::{LinkArgs, RegisterArgs, Registrar, Step, qr};
use crate::error::UsageError;
use crate::protocol::accounts::{AccountAsk, AccountDone};
use crate::seat::remote::Remote;

/// `account link signal` through the daemon: its connector asks signal-cli for the
/// code, this prints it as a QR code and waits until the phone has confirmed.
pub(crate) fn link(
    rt: &tokio::runtime::Runtime,
    remote: &Remote,
    id: Option<String>,
    args: LinkArgs,
    lang: Lang,
) -> Result<ExitCode> {
    use crate::domain::{AccountId, LinkState};
    let links = || -> Result<std::collections::BTreeMap<AccountId, LinkState>> {
        match rt.block_on(remote.call::<_, crate::app::Loaded>("query", &crate::app::Query::Links))
        {
            Ok(crate::app::Loaded::Links(l)) => Ok(l),
            Ok(_) => Err(anyhow!("the daemon answered something else than asked")),
            Err(e) => Err(anyhow!(e.message)),
        }
    };
    // A daemon that has just started may not have heard from its connector yet.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let before = loop {
        let l = links()?;
        let known = match &id {
            Some(id) => l.contains_key(&AccountId(id.clone())),
            None => !l.is_empty(),
        };
        if known || std::time::Instant::now() > deadline {
            break l;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let account = match id {
        Some(id) => AccountId(id),
        None => {
            let open: Vec<&AccountId> = before
                .iter()
                .filter(|(_, s)| !matches!(s, LinkState::Linked { .. }))
                .map(|(a, _)| a)
                .collect();
            match (open.as_slice(), before.len()) {
                ([a], _) => (*a).clone(),
                ([], 0) => {
                    return Err(UsageError(lang.t(
                        "Der Dienst hat kein Signal-Konto: eines unter [[accounts]] in seiner Konfiguration eintragen und ihn neu starten",
                        "the daemon runs no Signal account: add one under [[accounts]] in its config and restart it",
                    ).into())
                    .into());
                }
                ([], _) => {
                    crate::outln!(
                        "{}",
                        lang.t(
                            "Jedes Signal-Konto des Dienstes ist gekoppelt; nichts zu koppeln.",
                            "Every Signal account of the daemon is linked; nothing to link."
                        )
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                _ => {
                    return Err(UsageError(lang.t(
                        "Der Dienst hat mehrere Signal-Konten zu koppeln: eines mit --id wählen",
                        "the daemon has several Signal accounts to link: choose one with --id",
                    ).into())
                    .into());
                }
            }
        }
    };
    let initial = match before.get(&account) {
        None => {
            return Err(UsageError(match lang {
                Lang::De => format!("Der Dienst hat kein Signal-Konto `{account}`"),
                Lang::En => format!("the daemon runs no Signal account `{account}`"),
            })
            .into());
        }
        Some(LinkState::Linked { number }) => {
            match lang {
                Lang::De => {
                    crate::outln!(
                        "{number} ist in signal-cli schon eingerichtet; nichts zu koppeln."
                    )
                }
                Lang::En => {
                    crate::outln!("{number} is already set up in signal-cli; nothing to link.")
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        Some(state) => state.clone(),
    };
    let order = crate::protocol::Order::Link {
        account: account.clone(),
        device_name: Some(args.device_name.clone()),
    };
    rt.block_on(crate::seat::Seat::order(remote, order, ""))
        .map_err(UsageError)?;
    let started = std::time::Instant::now();
    let mut shown: Option<String> = None;
    loop {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let now = links()?.get(&account).cloned();
        match now {
            Some(LinkState::Waiting { uri }) if shown.as_ref() != Some(&uri) => {
                crate::outln!(
                    "{}",
                    lang.t(
                        "Auf dem Geschäftshandy: Signal → Einstellungen → Gekoppelte Geräte → „+“, dann scannen:\n",
                        "On the business phone: Signal → Settings → Linked devices → \"+\", then scan:\n"
                    )
                );
                crate::outln!("{}", qr(&uri, args.light_terminal)?);
                match lang {
                    Lang::De => {
                        crate::outln!("Derselbe Link als Text (für einen QR-Generator): {uri}\n")
                    }
                    Lang::En => {
                        crate::outln!("The same link as text (for a QR generator): {uri}\n")
                    }
                }
                eprintln!(
                    "{}",
                    lang.t(
                        "Warte auf die Bestätigung am Handy … (Strg-C bricht ab)",
                        "Waiting for the phone to confirm… (Ctrl-C cancels)"
                    )
                );
                shown = Some(uri);
            }
            Some(LinkState::Linked { number }) => {
                match lang {
                    Lang::De => crate::outln!(
                        "Gekoppelt: tresen ist jetzt das Gerät „{}“ von {number}. Der Dienst empfängt ab jetzt seine Chats.",
                        args.device_name
                    ),
                    Lang::En => crate::outln!(
                        "Linked: tresen is now the device \"{}\" of {number}. The daemon receives its chats from now on.",
                        args.device_name
                    ),
                }
                return Ok(ExitCode::SUCCESS);
            }
            // A failure from before this attempt counts only once it stays.
            Some(LinkState::Failed(why))
                if shown.is_some()
                    || LinkState::Failed(why.clone()) != initial
                    || started.elapsed() > std::time::Duration::from_secs(15) =>
            {
                return Err(UsageError(match lang {
                    Lang::De => format!("Koppeln fehlgeschlagen: {why}"),
                    Lang::En => format!("linking failed: {why}"),
                })
                .into());
            }
            _ => {}
        }
    }
}

/// `account register signal` through the daemon: the same steps and questions as
/// without one, each step carried out by the daemon's connector.
pub(crate) fn register(
    rt: &tokio::runtime::Runtime,
    remote: &Remote,
    (id, number): (Option<String>, Option<String>),
    args: RegisterArgs,
    lang: Lang,
) -> Result<ExitCode> {
    let mut daemon = Daemon {
        remote,
        id,
        number,
        keys: None,
        lang,
    };
    let registered = rt.block_on(crate::cli::signal::register_steps(&mut daemon, args, lang))?;
    if registered {
        crate::cli::signal::print_keys(daemon.keys.as_deref(), lang)?;
        crate::outln!(
            "{}",
            lang.t(
                "Der Dienst empfängt ab jetzt ihre Chats.",
                "The daemon receives its chats from now on."
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

struct Daemon<'a> {
    remote: &'a Remote,
    id: Option<String>,
    number: Option<String>,
    /// Where the daemon's signal-cli keeps the keys, once it said so.
    keys: Option<String>,
    lang: Lang,
}

impl Daemon<'_> {
    async fn step(&mut self, ask: AccountAsk) -> Result<Step> {
        let (number, step) = match crate::cli::common::account(self.remote, &ask).await? {
            AccountDone::CodeRequested { number, .. } => (number, Step::Done),
            AccountDone::Registered { number, keys, .. } => {
                self.keys = keys;
                (number, Step::Done)
            }
            AccountDone::AlreadySetUp { number, .. } => (number, Step::AlreadySetUp),
            AccountDone::StepRefused { number, error, .. } => (number, Step::Refused(error)),
            _ => return Err(anyhow!("the daemon answered something else than asked")),
        };
        // The daemon's config says which number the account has.
        self.number = Some(number);
        Ok(step)
    }
}

impl Registrar for Daemon<'_> {
    fn number(&self) -> String {
        self.number
            .clone()
            .unwrap_or_else(|| self.lang.t("die Nummer", "the number").to_string())
    }

    async fn register(&mut self, voice: bool, captcha: Option<&str>) -> Result<Step> {
        let ask = AccountAsk::Register {
            id: self.id.clone(),
            number: self.number.clone(),
            voice,
            captcha: captcha.map(str::to_string),
        };
        self.step(ask).await
    }

    async fn verify(&mut self, code: &str, pin: Option<&str>) -> Result<Step> {
        let ask = AccountAsk::Verify {
            id: self.id.clone(),
            number: self.number.clone(),
            code: code.to_string(),
            pin: pin.map(str::to_string),
        };
        self.step(ask).await
    }
}
