//! `tresen account link signal` and `tresen account register signal`: putting the
//! business number into signal-cli, with the prompts and advice an office needs.
//! Questions go to stderr and answers come from stdin, so a script can answer them too.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use serde_json::{Value, json};

use crate::config::{AccountConfig, Config};
use crate::connector::signal::groups::GroupChoice;
use crate::connector::signal::onboarding::{self, OnboardError};
use crate::connector::signal::rpc::CallError;
use crate::connector::signal::{Connection, Endpoint, connect};
use crate::domain::sanitize_for_terminal;
use crate::error::UsageError;
use crate::profile::OpenProfile;

pub struct LinkArgs {
    pub device_name: String,
    pub light_terminal: bool,
}

pub struct RegisterArgs {
    pub voice: bool,
    pub captcha: Option<String>,
    pub code: Option<String>,
    pub pin: Option<String>,
}

pub fn link(
    config: &Config,
    profile: &OpenProfile,
    account: &AccountConfig,
    args: LinkArgs,
) -> Result<ExitCode> {
    let number = account.number.clone().unwrap_or_default();
    let endpoint = crate::profile::signal_endpoint(config, profile);
    crate::cli::common::runtime()?.block_on(async {
        let conn = start(&endpoint).await?;
        let outcome = link_steps(&conn, &number, &args).await;
        stop(conn).await;
        outcome
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn link_steps(conn: &Connection, number: &str, args: &LinkArgs) -> Result<()> {
    if onboarding::accounts(&conn.client)
        .await?
        .iter()
        .any(|a| a == number)
    {
        crate::outln!("{number} is already set up in signal-cli; nothing to link.");
        crate::outln!("Start tresen (or `tresen daemon`) to receive its chats.");
        return Ok(());
    }
    let uri = onboarding::start_link(&conn.client).await?;
    crate::outln!(
        "On the business phone ({number}): Signal → Settings → Linked devices → \"+\", then scan:\n"
    );
    crate::outln!("{}", qr(&uri, args.light_terminal)?);
    crate::outln!("The same link as text (for a QR generator): {uri}\n");
    eprintln!("Waiting for the phone to confirm… (Ctrl-C cancels)");
    let linked = onboarding::finish_link(&conn.client, &uri, &args.device_name).await?;
    crate::outln!(
        "Linked: tresen is now the device \"{}\" of {linked}.",
        args.device_name
    );
    if linked != number {
        crate::outln!(
            "Note: the config says number = \"{number}\", but the phone that scanned is {linked}.\n\
             Set number = \"{linked}\" in the config if that phone is the business phone;\n\
             otherwise remove the link on that phone (Linked devices) and scan with the right one."
        );
    }
    crate::outln!(
        "Chats arrive from now on (Signal gives a new device no history). Start tresen or `tresen daemon`."
    );
    Ok(())
}

/// The code drawn with half blocks: two rows of modules per text line, with the quiet
/// zone scanners need. Light on dark by default, as most terminals are set.
fn qr(uri: &str, light_terminal: bool) -> Result<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| anyhow!("cannot draw the link as a QR code: {e}"))?;
    let (dark, light) = if light_terminal {
        (Dense1x2::Dark, Dense1x2::Light)
    } else {
        (Dense1x2::Light, Dense1x2::Dark)
    };
    Ok(code
        .render::<Dense1x2>()
        .dark_color(dark)
        .light_color(light)
        .quiet_zone(true)
        .build())
}

pub fn register(
    config: &Config,
    profile: &OpenProfile,
    account: &AccountConfig,
    args: RegisterArgs,
) -> Result<ExitCode> {
    let number = account.number.clone().unwrap_or_default();
    let endpoint = crate::profile::signal_endpoint(config, profile);
    let data_dir = match &endpoint {
        Endpoint::Spawn(d) => Some(d.data_dir.clone()),
        Endpoint::Socket(_) | Endpoint::Tcp(_) => None,
    };
    crate::cli::common::runtime()?.block_on(async {
        let conn = start(&endpoint).await?;
        let outcome = register_steps(&conn, &number, args).await;
        stop(conn).await;
        outcome
    })?;
    match data_dir {
        Some(d) => crate::outln!(
            "signal-cli keeps the number's only keys in {}: back that directory up now and after\n\
             every change (docs/signal.md). Without it the number must be registered again and\n\
             customers see a new safety number.",
            d.display()
        ),
        None => crate::outln!(
            "The signal-cli daemon you run keeps the number's only keys in its data dir: back it up (docs/signal.md)."
        ),
    }
    Ok(ExitCode::SUCCESS)
}

async fn register_steps(conn: &Connection, number: &str, args: RegisterArgs) -> Result<()> {
    if onboarding::accounts(&conn.client)
        .await?
        .iter()
        .any(|a| a == number)
    {
        crate::outln!("{number} is already registered in signal-cli; nothing to do.");
        return Ok(());
    }
    let mut captcha = args.captcha.clone();
    let mut sms_requested = false;
    let mut captcha_tries = 0;
    loop {
        match onboarding::register(&conn.client, number, args.voice, captcha.as_deref()).await {
            Ok(()) => break,
            Err(e @ (OnboardError::CaptchaRequired | OnboardError::CaptchaRejected))
                if captcha_tries < 3 =>
            {
                captcha_tries += 1;
                // Asked again after one was given: that one was not accepted.
                let e = if captcha.is_some() {
                    OnboardError::CaptchaRejected
                } else {
                    e
                };
                eprintln!("{e}");
                match ask("Captcha link (signalcaptcha://…): ")? {
                    Some(c) if !c.trim().is_empty() => captcha = Some(c),
                    _ => return Err(e.into()),
                }
            }
            // Signal calls only once an SMS was requested for the number.
            Err(OnboardError::VoiceNeedsSmsFirst) if !sms_requested => {
                eprintln!("{}", OnboardError::VoiceNeedsSmsFirst);
                onboarding::register(&conn.client, number, false, captcha.as_deref()).await?;
                sms_requested = true;
                wait_before_call().await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if args.voice {
        crate::outln!("Signal is calling {number} and reads out a six-digit code.");
    } else {
        crate::outln!("Signal has sent a six-digit code by SMS to {number}.");
    }
    let mut code = args.code.clone();
    let mut pin = args.pin.clone();
    let mut code_tries = 0;
    loop {
        let c = match code.take() {
            Some(c) => c,
            None => ask("Verification code: ")?
                .ok_or_else(|| anyhow!("no verification code given (use --code)"))?,
        };
        match onboarding::verify(&conn.client, number, &c, pin.as_deref()).await {
            Ok(()) => break,
            Err(e @ OnboardError::PinRequired(_)) if pin.is_none() => {
                eprintln!("{e}");
                pin =
                    Some(ask("Signal PIN: ")?.ok_or_else(|| anyhow!("no PIN given (use --pin)"))?);
                code = Some(c);
            }
            Err(e @ OnboardError::WrongCode(_)) if code_tries < 2 => {
                code_tries += 1;
                eprintln!("{e}");
            }
            Err(e) => return Err(e.into()),
        }
    }
    crate::outln!(
        "Registered: {number} is now tresen's Signal number (tresen is its primary device)."
    );
    Ok(())
}

/// One query to signal-cli for the account, with the daemon started and stopped around it.
fn query(
    config: &Config,
    profile: &OpenProfile,
    account: &AccountConfig,
    method: &'static str,
) -> Result<Value> {
    let number = account.number.clone().unwrap_or_default();
    let endpoint = crate::profile::signal_endpoint(config, profile);
    crate::cli::common::runtime()?.block_on(async {
        let conn = start(&endpoint).await?;
        let answer = conn
            .client
            .call(method, json!({"account": number}), Duration::from_secs(60))
            .await;
        stop(conn).await;
        answer.map_err(|e| match e {
            CallError::Rpc(r) if r.code == -32602 => anyhow!(
                "signal-cli has no account {number}: set it up with `tresen account link signal` or `tresen account register signal`"
            ),
            CallError::Rpc(r) => anyhow!("{}", r.explain()),
            other => anyhow!("{other}"),
        })
    })
}

pub fn groups(
    config: &Config,
    profile: &OpenProfile,
    account: &AccountConfig,
    as_json: bool,
) -> Result<ExitCode> {
    let answer = query(config, profile, account, "listGroups")?;
    // Groups accepted in the TUI are remembered with the account's stored position.
    let resume = {
        use crate::store::StoreRead as _;
        profile
            .store
            .sync_position(&crate::domain::AccountId(account.id.clone()))
            .ok()
            .flatten()
    };
    let choice = GroupChoice::new(&account.groups, resume.as_deref());
    let rows: Vec<Value> = answer
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .filter(|g| g["isMember"].as_bool().unwrap_or(true))
                .map(|g| {
                    let id = g["id"].as_str().unwrap_or_default();
                    json!({
                        "id": id,
                        "name": g["name"].as_str().unwrap_or_default(),
                        "members": g["members"].as_array().map_or(0, Vec::len),
                        "business": choice.is_business(id),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if as_json {
        return print_json(account, "groups", rows);
    }
    if rows.is_empty() {
        crate::outln!("{} is in no Signal group.", account.id);
        return Ok(ExitCode::SUCCESS);
    }
    crate::outln!("{:<10} {:>7}  {:<30} id", "inbox", "members", "group");
    for r in &rows {
        crate::outln!(
            "{:<10} {:>7}  {:<30} {}",
            if r["business"] == true {
                "business"
            } else {
                "-"
            },
            r["members"],
            sanitize_for_terminal(r["name"].as_str().unwrap_or_default(), false),
            sanitize_for_terminal(r["id"].as_str().unwrap_or_default(), false),
        );
    }
    crate::outln!(
        "\nOnly groups marked business reach the inbox. A message from another group is offered\n\
         in the TUI as an invite (I); or put the group's id into the config:\n\n\
         [[accounts]]\nid = \"{}\"\n…\ngroups = [\"<id>\"]",
        account.id
    );
    Ok(ExitCode::SUCCESS)
}

pub fn contacts(
    config: &Config,
    profile: &OpenProfile,
    account: &AccountConfig,
    as_json: bool,
) -> Result<ExitCode> {
    let answer = query(config, profile, account, "listContacts")?;
    let rows: Vec<Value> = answer
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|c| !c["isHidden"].as_bool().unwrap_or(false))
                .map(|c| {
                    let given = |v: &Value| v.as_str().unwrap_or_default().trim().to_string();
                    let name = [&c["nickName"], &c["name"]]
                        .into_iter()
                        .map(given)
                        .find(|n| !n.is_empty())
                        .unwrap_or_else(|| {
                            format!(
                                "{} {}",
                                given(&c["profile"]["givenName"]),
                                given(&c["profile"]["familyName"])
                            )
                            .trim()
                            .to_string()
                        });
                    json!({
                        "number": c["number"],
                        "uuid": c["uuid"],
                        "name": name,
                        "blocked": c["isBlocked"].as_bool().unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if as_json {
        return print_json(account, "contacts", rows);
    }
    if rows.is_empty() {
        crate::outln!("signal-cli knows no contacts for {} yet.", account.id);
    }
    for r in &rows {
        let number = r["number"].as_str().unwrap_or("(number hidden)");
        crate::outln!(
            "{:<18} {}{}",
            sanitize_for_terminal(number, false),
            sanitize_for_terminal(r["name"].as_str().unwrap_or_default(), false),
            if r["blocked"] == true {
                "  [blocked]"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `account groups|contacts --json`: versioned like every other JSON output (docs/json.md).
fn print_json(account: &AccountConfig, key: &str, rows: Vec<Value>) -> Result<ExitCode> {
    let mut v = json!({"version": 1, "account": account.id});
    v[key] = Value::Array(rows);
    crate::out::json(&v)?;
    Ok(ExitCode::SUCCESS)
}

/// `account groups --forget`: a group accepted in the TUI stops being business. Runs with
/// the profile lock, so no connector holds an older copy of the choice.
pub fn forget_group(
    profile: &mut OpenProfile,
    account: &AccountConfig,
    group: &str,
) -> Result<ExitCode> {
    use crate::connector::signal::groups::ForgetError;
    use crate::store::{Op, Store as _, StoreRead as _};
    let id = crate::domain::AccountId(account.id.clone());
    let resume = profile.store.sync_position(&id)?;
    let mut choice = GroupChoice::new(&account.groups, resume.as_deref());
    match choice.forget(group) {
        Ok(position) => {
            profile.store.apply(&[Op::SetSyncPosition {
                account: id,
                position,
            }])?;
            crate::outln!(
                "group {} is no longer business for {}: its new messages are not stored (what is stored stays)",
                sanitize_for_terminal(group, false),
                account.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ForgetError::InConfig) => Err(UsageError(format!(
            "group {} is listed in the config (groups = [...] of account `{}`): remove it there",
            sanitize_for_terminal(group, false),
            account.id
        ))
        .into()),
        Err(ForgetError::NotChosen) => Err(UsageError(format!(
            "group {} was not accepted in the TUI for `{}`; `tresen account groups` lists the business groups",
            sanitize_for_terminal(group, false),
            account.id
        ))
        .into()),
    }
}

/// For tests: how long to wait between the SMS and the call (Signal wants a minute).
fn voice_wait() -> Duration {
    std::env::var("TRESEN_SIGNAL_VOICE_WAIT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(60))
}

async fn wait_before_call() {
    let total = voice_wait();
    eprintln!(
        "SMS requested (it does not need to arrive on a landline); Signal calls after {} s…",
        total.as_secs()
    );
    let mut left = total;
    while !left.is_zero() {
        let step = left.min(Duration::from_secs(10));
        tokio::time::sleep(step).await;
        left -= step;
        if !left.is_zero() {
            eprintln!("  {} s…", left.as_secs());
        }
    }
}

/// One answer from stdin (a terminal or a script); None at end of input.
fn ask(question: &str) -> Result<Option<String>> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the answer from stdin")?;
    // A script's answer is not echoed: end the question's line for the next message.
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprintln!();
    }
    Ok((n > 0).then(|| line.trim().to_string()))
}

async fn start(endpoint: &Endpoint) -> Result<Connection> {
    if matches!(endpoint, Endpoint::Spawn(_)) {
        eprintln!("Starting signal-cli…");
    }
    let conn = connect(endpoint)
        .await
        .map_err(|e| anyhow!("signal-cli is not usable: {e}"))?;
    if let Some(w) = conn.version_check.warning() {
        eprintln!("warning: {w}");
    }
    Ok(conn)
}

async fn stop(conn: Connection) {
    if let Some(d) = conn.daemon {
        d.stop().await;
    }
}

/// The Signal account a command means: by id, by number, or the only one.
pub fn pick<'a>(
    config: &'a Config,
    id: Option<&str>,
    number: Option<&str>,
) -> Result<&'a AccountConfig, UsageError> {
    let signal = || {
        config
            .accounts
            .iter()
            .filter(|a| a.network == crate::domain::AccountNetwork::Signal)
    };
    let example = |n: &str| {
        format!(
            "\n\nadd it to the config first (business accounts only):\n\n[[accounts]]\nid = \"signal-buero\"\nnetwork = \"signal\"\npurpose = \"business\"\nnumber = \"{n}\""
        )
    };
    if let Some(n) = number
        && !crate::config::is_e164(n)
    {
        return Err(UsageError(format!(
            "`{n}` is not a number in international format: write it as +49… (e.g. +493012345678)"
        )));
    }
    let found = match (id, number) {
        (Some(id), _) => signal()
            .find(|a| a.id == id)
            .ok_or_else(|| UsageError(format!("no Signal account `{id}` in the config")))?,
        (None, Some(n)) => signal()
            .find(|a| a.number.as_deref() == Some(n))
            .ok_or_else(|| {
                UsageError(format!(
                    "no Signal account with number {n} in the config{}",
                    example(n)
                ))
            })?,
        (None, None) => {
            let mut all = signal();
            match (all.next(), all.next()) {
                (Some(a), None) => a,
                (None, _) => {
                    return Err(UsageError(format!(
                        "no Signal account in the config{}",
                        example("+493012345678")
                    )));
                }
                _ => {
                    return Err(UsageError(
                        "the config lists several Signal accounts: choose one with --id".into(),
                    ));
                }
            }
        }
    };
    if let Some(n) = number
        && found.number.as_deref() != Some(n)
    {
        return Err(UsageError(format!(
            "account `{}` has number {} in the config, not {n}",
            found.id,
            found.number.as_deref().unwrap_or("(none)")
        )));
    }
    Ok(found)
}

/// `account link signal` through the daemon: its connector asks signal-cli for the
/// code, this prints it as a QR code and waits until the phone has confirmed.
pub(crate) fn link_attached(
    rt: &tokio::runtime::Runtime,
    remote: &crate::seat::remote::Remote,
    id: Option<String>,
    args: LinkArgs,
    lang: crate::app::i18n::Lang,
) -> Result<ExitCode> {
    use crate::app::i18n::Lang;
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
