//! `tresen account …` beside a running daemon: the daemon does the work on the accounts
//! of its own config (it holds their logins and the one connection to signal-cli); the
//! command asks for passwords, keys and codes on the seat and prints what was done.

use std::process::ExitCode;

use anyhow::Result;

use crate::app::i18n::Lang;
use crate::cli::account::{
    AccountCommand, AddAccount, LinkAccount, RegisterAccount, confirm_remove, print_logged_in,
    print_recovered, print_recovery_key, print_removed, read_password, read_secret,
};

/// Whether `cmd` goes through a running daemon (`list` reads beside it).
pub(crate) fn attaches(cmd: &AccountCommand) -> bool {
    matches!(
        cmd,
        AccountCommand::Add(_)
            | AccountCommand::Link(_)
            | AccountCommand::Register(_)
            | AccountCommand::Groups { .. }
            | AccountCommand::Contacts { .. }
            | AccountCommand::RecoveryKey { .. }
            | AccountCommand::Recover { .. }
            | AccountCommand::Remove { .. }
    )
}

/// The account commands through the daemon: it works on its own accounts (those of its
/// config); Signal's setup is answered by the account's running connector.
pub(crate) fn run_attached(
    rt: &tokio::runtime::Runtime,
    remote: &crate::seat::remote::Remote,
    cmd: AccountCommand,
    lang: Lang,
) -> Result<ExitCode> {
    use crate::protocol::accounts::{AccountAsk, AccountDone};
    let as_json = matches!(
        cmd,
        AccountCommand::Groups { json: true, .. } | AccountCommand::Contacts { json: true, .. }
    );
    let ask = match cmd {
        AccountCommand::Link(LinkAccount::Signal {
            id,
            device_name,
            light_terminal,
        }) => {
            let args = crate::cli::signal::LinkArgs {
                device_name,
                light_terminal,
            };
            return crate::cli::signal_daemon::link(rt, remote, id, args, lang);
        }
        AccountCommand::Register(RegisterAccount::Signal {
            id,
            number,
            voice,
            captcha,
            code,
            pin,
        }) => {
            let args = crate::cli::signal::RegisterArgs {
                voice,
                captcha,
                code,
                pin,
            };
            return crate::cli::signal_daemon::register(rt, remote, (id, number), args, lang);
        }
        AccountCommand::Groups {
            id,
            json: _,
            forget: Some(group),
        } => AccountAsk::ForgetGroup { id, group },
        AccountCommand::Groups { id, .. } => AccountAsk::SignalGroups { id },
        AccountCommand::Contacts { id, .. } => AccountAsk::SignalContacts { id },
        AccountCommand::Add(AddAccount::Matrix {
            id,
            homeserver,
            user,
            password_file,
            password_stdin,
        }) => {
            let password = read_password(password_file.as_deref(), password_stdin, &user, lang)?;
            match lang {
                Lang::De => {
                    eprintln!("Anmeldung bei {homeserver} als {user} (über den Dienst) …")
                }
                Lang::En => {
                    eprintln!("logging in to {homeserver} as {user} (through the daemon) …")
                }
            }
            AccountAsk::Login {
                id,
                homeserver,
                user,
                password: password.to_string(),
            }
        }
        AccountCommand::RecoveryKey { id, reset } => {
            eprintln!("{}", lang.t(
                "Schlüsselsicherung und Geheimnisspeicher werden über den Dienst eingerichtet; die Raumschlüssel dieses Geräts werden gesichert …",
                "setting up key backup and secret storage through the daemon; backing up this device's room keys …",
            ));
            AccountAsk::RecoveryKey { id, reset }
        }
        AccountCommand::Recover {
            id,
            key_file,
            key_stdin,
        } => {
            let key = read_secret(
                key_file.as_deref(),
                key_stdin,
                lang.t("Wiederherstellungsschlüssel: ", "Recovery key: "),
                "recovery key",
            )?;
            eprintln!(
                "{}",
                lang.t(
                    "Wiederherstellungsschlüssel wird geprüft, die Schlüssel der Unterhaltungen werden geladen (über den Dienst) …",
                    "checking the recovery key and downloading the conversations' keys (through the daemon) …"
                )
            );
            AccountAsk::Recover {
                id,
                key: key.to_string(),
            }
        }
        AccountCommand::Remove { id, yes } => {
            if !confirm_remove(&id, yes, lang)? {
                return Ok(ExitCode::SUCCESS);
            }
            AccountAsk::Remove { id }
        }
        _ => {
            return Err(anyhow::anyhow!(
                "this account command does not attach to the daemon"
            ));
        }
    };
    let done = rt.block_on(crate::cli::common::account(remote, &ask))?;
    match done {
        AccountDone::LoggedIn {
            account,
            user_id,
            homeserver,
            device_id,
        } => {
            print_logged_in(&account, (&user_id, &homeserver, &device_id), lang)?;
            crate::outln!(
                "{}",
                lang.t(
                    "der Dienst gleicht es ab jetzt ab",
                    "the daemon syncs it from now on"
                )
            );
        }
        AccountDone::RecoveryKey { account, key } => print_recovery_key(&account, &key, lang)?,
        AccountDone::Recovered { account, rooms } => {
            print_recovered(&account, rooms, lang)?;
            crate::outln!(
                "{}",
                lang.t(
                    "der Dienst entschlüsselt jetzt die Nachrichten, die er vorher nicht lesen konnte",
                    "the daemon decrypts the messages it could not read before now"
                )
            );
        }
        AccountDone::Removed {
            account,
            was_logged_in,
        } => print_removed(&account, was_logged_in, lang)?,
        AccountDone::Groups { account, groups } => {
            return crate::cli::signal::print_groups(&account, &groups, as_json, lang);
        }
        AccountDone::Contacts { account, contacts } => {
            return crate::cli::signal::print_contacts(&account, &contacts, as_json, lang);
        }
        AccountDone::GroupForgotten { account, group } => {
            crate::cli::signal::print_forgotten(&account, &group, lang)?
        }
        AccountDone::CodeRequested { .. }
        | AccountDone::Registered { .. }
        | AccountDone::AlreadySetUp { .. }
        | AccountDone::StepRefused { .. } => {
            return Err(anyhow::anyhow!(
                "the daemon answered something else than asked"
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
