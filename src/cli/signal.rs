//! `tresen account link signal` and `tresen account register signal`: putting the
//! business number into signal-cli, with the prompts and advice an office needs.
//! Questions go to stderr and answers come from stdin, so a script can answer them too.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use serde_json::{Value, json};

use crate::app::i18n::Lang;
use crate::config::{AccountConfig, Config};
use crate::connector::setup::{ContactEntry, GroupEntry};
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
        let conn = start(&endpoint, config.language()).await?;
        let outcome = link_steps(&conn, &number, &args, config.language()).await;
        stop(conn).await;
        outcome
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn link_steps(conn: &Connection, number: &str, args: &LinkArgs, lang: Lang) -> Result<()> {
    let de = lang == Lang::De;
    if onboarding::accounts(&conn.client)
        .await?
        .iter()
        .any(|a| a == number)
    {
        if de {
            crate::outln!("{number} ist in signal-cli schon eingerichtet; nichts zu koppeln.");
            crate::outln!("tresen (oder `tresen daemon`) starten, um seine Chats zu empfangen.");
        } else {
            crate::outln!("{number} is already set up in signal-cli; nothing to link.");
            crate::outln!("Start tresen (or `tresen daemon`) to receive its chats.");
        }
        return Ok(());
    }
    let uri = onboarding::start_link(&conn.client).await?;
    if de {
        crate::outln!(
            "Auf dem Geschäftshandy ({number}): Signal → Einstellungen → Gekoppelte Geräte → „+“, dann scannen:\n"
        );
    } else {
        crate::outln!(
            "On the business phone ({number}): Signal → Settings → Linked devices → \"+\", then scan:\n"
        );
    }
    crate::outln!("{}", qr(&uri, args.light_terminal)?);
    if de {
        crate::outln!("Derselbe Link als Text (für einen QR-Generator): {uri}\n");
    } else {
        crate::outln!("The same link as text (for a QR generator): {uri}\n");
    }
    eprintln!(
        "{}",
        lang.t(
            "Warte auf die Bestätigung am Handy … (Strg-C bricht ab)",
            "Waiting for the phone to confirm… (Ctrl-C cancels)"
        )
    );
    let linked = onboarding::finish_link(&conn.client, &uri, &args.device_name).await?;
    let device = &args.device_name;
    if de {
        crate::outln!("Gekoppelt: tresen ist jetzt das Gerät „{device}“ von {linked}.");
    } else {
        crate::outln!("Linked: tresen is now the device \"{device}\" of {linked}.");
    }
    if linked != number && de {
        crate::outln!(
            "Hinweis: In der Konfiguration steht number = \"{number}\", gescannt hat aber {linked}.\n\
             Ist dieses Handy das Geschäftshandy, number = \"{linked}\" eintragen;\n\
             sonst die Kopplung auf diesem Handy entfernen (Gekoppelte Geräte) und mit dem richtigen scannen."
        );
    } else if linked != number {
        crate::outln!(
            "Note: the config says number = \"{number}\", but the phone that scanned is {linked}.\n\
             Set number = \"{linked}\" in the config if that phone is the business phone;\n\
             otherwise remove the link on that phone (Linked devices) and scan with the right one."
        );
    }
    crate::outln!(
        "{}",
        lang.t(
            "Chats kommen ab jetzt an (Signal gibt einem neuen Gerät keinen Verlauf). tresen oder `tresen daemon` starten.",
            "Chats arrive from now on (Signal gives a new device no history). Start tresen or `tresen daemon`."
        )
    );
    Ok(())
}

/// The code drawn with half blocks: two rows of modules per text line, with the quiet
/// zone scanners need. Light on dark by default, as most terminals are set.
pub(crate) fn qr(uri: &str, light_terminal: bool) -> Result<String> {
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
        Endpoint::Spawn(d) => Some(d.data_dir.display().to_string()),
        Endpoint::Socket(_) | Endpoint::Tcp(_) => None,
    };
    let lang = config.language();
    let registered = crate::cli::common::runtime()?.block_on(async {
        let conn = start(&endpoint, config.language()).await?;
        let outcome = async {
            if onboarding::accounts(&conn.client)
                .await?
                .iter()
                .any(|a| a == &number)
            {
                return print_already(&number, lang);
            }
            let mut here = Here {
                conn: &conn,
                number: &number,
            };
            register_steps(&mut here, args, lang).await
        }
        .await;
        stop(conn).await;
        outcome
    })?;
    if registered {
        print_keys(data_dir.as_deref(), lang)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the number's only keys are, and that they need a backup.
pub(crate) fn print_keys(data_dir: Option<&str>, lang: Lang) -> Result<()> {
    match (data_dir, lang) {
        (Some(d), Lang::De) => crate::outln!(
            "signal-cli hält die einzigen Schlüssel der Nummer in {d}: dieses Verzeichnis jetzt und\n\
             nach jeder Änderung sichern (docs/signal.md). Ohne es muss die Nummer neu registriert\n\
             werden, und die Kundschaft sieht eine neue Sicherheitsnummer."
        ),
        (Some(d), Lang::En) => crate::outln!(
            "signal-cli keeps the number's only keys in {d}: back that directory up now and after\n\
             every change (docs/signal.md). Without it the number must be registered again and\n\
             customers see a new safety number."
        ),
        (None, Lang::De) => crate::outln!(
            "Der signal-cli-Dienst, den Sie betreiben, hält die einzigen Schlüssel der Nummer in seinem Datenverzeichnis: sichern Sie es (docs/signal.md)."
        ),
        (None, Lang::En) => crate::outln!(
            "The signal-cli daemon you run keeps the number's only keys in its data dir: back it up (docs/signal.md)."
        ),
    }
    Ok(())
}

fn print_already(number: &str, lang: Lang) -> Result<bool> {
    match lang {
        Lang::De => crate::outln!("{number} ist in signal-cli schon registriert; nichts zu tun."),
        Lang::En => crate::outln!("{number} is already registered in signal-cli; nothing to do."),
    }
    Ok(false)
}

/// How a registration step ended that did not fail on the way.
pub(crate) enum Step {
    Done,
    /// The number is set up already: nothing to register.
    AlreadySetUp,
    Refused(OnboardError),
}

/// Asks for the code and sends it back: to signal-cli here, or to the daemon's connector.
pub(crate) trait Registrar {
    /// The number being registered, for what is printed.
    fn number(&self) -> String;
    async fn register(&mut self, voice: bool, captcha: Option<&str>) -> Result<Step>;
    async fn verify(&mut self, code: &str, pin: Option<&str>) -> Result<Step>;
}

struct Here<'a> {
    conn: &'a Connection,
    number: &'a str,
}

impl Registrar for Here<'_> {
    fn number(&self) -> String {
        self.number.to_string()
    }

    async fn register(&mut self, voice: bool, captcha: Option<&str>) -> Result<Step> {
        Ok(
            match onboarding::register(&self.conn.client, self.number, voice, captcha).await {
                Ok(()) => Step::Done,
                Err(e) => Step::Refused(e),
            },
        )
    }

    async fn verify(&mut self, code: &str, pin: Option<&str>) -> Result<Step> {
        Ok(
            match onboarding::verify(&self.conn.client, self.number, code, pin).await {
                Ok(()) => Step::Done,
                Err(e) => Step::Refused(e),
            },
        )
    }
}

/// The registration as the office goes through it: a captcha when Signal wants one, the
/// SMS Signal insists on before it calls, the code, the PIN of a locked number. `false`
/// when the number was set up already.
pub(crate) async fn register_steps(
    steps: &mut impl Registrar,
    args: RegisterArgs,
    lang: Lang,
) -> Result<bool> {
    let mut captcha = args.captcha.clone();
    let mut sms_requested = false;
    let mut captcha_tries = 0;
    loop {
        match steps.register(args.voice, captcha.as_deref()).await? {
            Step::Done => break,
            Step::AlreadySetUp => return print_already(&steps.number(), lang),
            Step::Refused(e @ (OnboardError::CaptchaRequired | OnboardError::CaptchaRejected))
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
                match ask(lang.t(
                    "Captcha-Link (signalcaptcha://…): ",
                    "Captcha link (signalcaptcha://…): ",
                ))? {
                    Some(c) if !c.trim().is_empty() => captcha = Some(c),
                    _ => return Err(e.into()),
                }
            }
            // Signal calls only once an SMS was requested for the number.
            Step::Refused(OnboardError::VoiceNeedsSmsFirst) if !sms_requested => {
                eprintln!("{}", OnboardError::VoiceNeedsSmsFirst);
                match steps.register(false, captcha.as_deref()).await? {
                    Step::Done => {}
                    Step::AlreadySetUp => return print_already(&steps.number(), lang),
                    Step::Refused(e) => return Err(e.into()),
                }
                sms_requested = true;
                wait_before_call(lang).await;
            }
            Step::Refused(e) => return Err(e.into()),
        }
    }
    let number = steps.number();
    match (args.voice, lang) {
        (true, Lang::De) => {
            crate::outln!("Signal ruft {number} an und sagt einen sechsstelligen Code an.")
        }
        (true, Lang::En) => {
            crate::outln!("Signal is calling {number} and reads out a six-digit code.")
        }
        (false, Lang::De) => {
            crate::outln!("Signal hat einen sechsstelligen Code per SMS an {number} geschickt.")
        }
        (false, Lang::En) => crate::outln!("Signal has sent a six-digit code by SMS to {number}."),
    }
    let mut code = args.code.clone();
    let mut pin = args.pin.clone();
    let mut code_tries = 0;
    loop {
        let c = match code.take() {
            Some(c) => c,
            None => ask(lang.t("Bestätigungscode: ", "Verification code: "))?.ok_or_else(|| {
                anyhow!(
                    "{}",
                    lang.t(
                        "kein Bestätigungscode angegeben (--code)",
                        "no verification code given (use --code)"
                    )
                )
            })?,
        };
        match steps.verify(&c, pin.as_deref()).await? {
            Step::Done => break,
            Step::AlreadySetUp => return print_already(&steps.number(), lang),
            Step::Refused(e @ OnboardError::PinRequired(_)) if pin.is_none() => {
                eprintln!("{e}");
                pin = Some(ask(lang.t("Signal-PIN: ", "Signal PIN: "))?.ok_or_else(|| {
                    anyhow!(
                        "{}",
                        lang.t("keine PIN angegeben (--pin)", "no PIN given (use --pin)")
                    )
                })?);
                code = Some(c);
            }
            Step::Refused(e @ OnboardError::WrongCode(_)) if code_tries < 2 => {
                code_tries += 1;
                eprintln!("{e}");
            }
            Step::Refused(e) => return Err(e.into()),
        }
    }
    match lang {
        Lang::De => crate::outln!(
            "Registriert: {number} ist jetzt die Signal-Nummer von tresen (tresen ist ihr Hauptgerät)."
        ),
        Lang::En => crate::outln!(
            "Registered: {number} is now tresen's Signal number (tresen is its primary device)."
        ),
    }
    Ok(true)
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
        let conn = start(&endpoint, config.language()).await?;
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
    let rows = crate::connector::signal::setup::group_entries(&answer, &choice);
    print_groups(&account.id, &rows, as_json, config.language())
}

/// The groups, business ones marked, and how to make one business.
pub(crate) fn print_groups(
    account: &str,
    rows: &[GroupEntry],
    as_json: bool,
    lang: Lang,
) -> Result<ExitCode> {
    if as_json {
        return print_json(account, "groups", rows);
    }
    if rows.is_empty() {
        match lang {
            Lang::De => crate::outln!("{account} ist in keiner Signal-Gruppe."),
            Lang::En => crate::outln!("{account} is in no Signal group."),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (inbox, members, group, business) = match lang {
        Lang::De => ("Eingang", "Mitgl.", "Gruppe", "geschäftl."),
        Lang::En => ("inbox", "members", "group", "business"),
    };
    crate::outln!("{inbox:<10} {members:>7}  {group:<30} id");
    for r in rows {
        crate::outln!(
            "{:<10} {:>7}  {:<30} {}",
            if r.business { business } else { "-" },
            r.members,
            sanitize_for_terminal(&r.name, false),
            sanitize_for_terminal(&r.id, false),
        );
    }
    match lang {
        Lang::De => crate::outln!(
            "\nNur Gruppen mit „{business}“ kommen in den Eingang. Eine Nachricht aus einer anderen Gruppe\n\
             bietet die TUI als Einladung an (I); oder die Kennung der Gruppe in die Konfiguration schreiben:\n\n\
             [[accounts]]\nid = \"{account}\"\n…\ngroups = [\"<id>\"]"
        ),
        Lang::En => crate::outln!(
            "\nOnly groups marked business reach the inbox. A message from another group is offered\n\
             in the TUI as an invite (I); or put the group's id into the config:\n\n\
             [[accounts]]\nid = \"{account}\"\n…\ngroups = [\"<id>\"]"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn contacts(
    config: &Config,
    profile: &OpenProfile,
    account: &AccountConfig,
    as_json: bool,
) -> Result<ExitCode> {
    let answer = query(config, profile, account, "listContacts")?;
    let rows = crate::connector::signal::setup::contact_entries(&answer);
    print_contacts(&account.id, &rows, as_json, config.language())
}

pub(crate) fn print_contacts(
    account: &str,
    rows: &[ContactEntry],
    as_json: bool,
    lang: Lang,
) -> Result<ExitCode> {
    if as_json {
        return print_json(account, "contacts", rows);
    }
    if rows.is_empty() {
        match lang {
            Lang::De => crate::outln!("signal-cli kennt für {account} noch keine Kontakte."),
            Lang::En => crate::outln!("signal-cli knows no contacts for {account} yet."),
        }
    }
    for r in rows {
        let number = r
            .number
            .as_deref()
            .unwrap_or(lang.t("(Nummer verborgen)", "(number hidden)"));
        crate::outln!(
            "{:<18} {}{}",
            sanitize_for_terminal(number, false),
            sanitize_for_terminal(&r.name, false),
            if r.blocked {
                lang.t("  [blockiert]", "  [blocked]")
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `account groups|contacts --json`: versioned like every other JSON output (docs/json.md).
fn print_json(account: &str, key: &str, rows: &[impl serde::Serialize]) -> Result<ExitCode> {
    let mut v = json!({"version": 1, "account": account});
    v[key] = serde_json::to_value(rows)?;
    crate::out::json(&v)?;
    Ok(ExitCode::SUCCESS)
}

/// `account groups --forget`: a group accepted in the TUI stops being business. Runs with
/// the profile lock, so no connector holds an older copy of the choice.
pub fn forget_group(
    profile: &mut OpenProfile,
    account: &AccountConfig,
    group: &str,
    lang: Lang,
) -> Result<ExitCode> {
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
            print_forgotten(&account.id, group, lang)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(UsageError(e.explain(&account.id, group, lang == Lang::De)).into()),
    }
}

pub(crate) fn print_forgotten(account: &str, group: &str, lang: Lang) -> Result<()> {
    let group = sanitize_for_terminal(group, false);
    match lang {
        Lang::De => crate::outln!(
            "Gruppe {group} ist für {account} nicht mehr geschäftlich: ihre neuen Nachrichten werden nicht gespeichert (Gespeichertes bleibt)"
        ),
        Lang::En => crate::outln!(
            "group {group} is no longer business for {account}: its new messages are not stored (what is stored stays)"
        ),
    }
    Ok(())
}

/// For tests: how long to wait between the SMS and the call (Signal wants a minute).
fn voice_wait() -> Duration {
    std::env::var("TRESEN_SIGNAL_VOICE_WAIT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(60))
}

async fn wait_before_call(lang: Lang) {
    let total = voice_wait();
    match lang {
        Lang::De => eprintln!(
            "SMS angefordert (sie muss auf einem Festnetzanschluss nicht ankommen); Signal ruft in {} s an …",
            total.as_secs()
        ),
        Lang::En => eprintln!(
            "SMS requested (it does not need to arrive on a landline); Signal calls after {} s…",
            total.as_secs()
        ),
    }
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

async fn start(endpoint: &Endpoint, lang: Lang) -> Result<Connection> {
    use crate::app::reasons::in_lang;
    if matches!(endpoint, Endpoint::Spawn(_)) {
        eprintln!("{}", lang.t("signal-cli startet …", "Starting signal-cli…"));
    }
    let conn = connect(endpoint).await.map_err(|e| {
        anyhow!(
            "{}: {}",
            lang.t("signal-cli ist nicht nutzbar", "signal-cli is not usable"),
            in_lang(&e, lang)
        )
    })?;
    if let Some(w) = conn.version_check.warning() {
        eprintln!("{}: {}", lang.t("Warnung", "warning"), in_lang(&w, lang));
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
    crate::config::which_account::signal(config, id, number).map_err(UsageError)
}
