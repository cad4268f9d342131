//! `tresen contact correct|history`: a customer's name corrected as a new version, and
//! the versions read back (R-C12, Art. 16 GDPR). Archived messages are never changed.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::Subcommand;

use crate::app::i18n::Lang;
use crate::archive::{Payload, Scope};
use crate::cli::inbox::safe;
use crate::config::{Config, Paths};
use crate::domain::correction::{ContactCorrection, CorrectionRefused};
use crate::domain::{Conversation, Timestamp};
use crate::error::UsageError;
use crate::protocol::Order;
use crate::seat::Seat as _;
use crate::seat::remote::Remote;
use crate::store::StoreRead;

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Correct a customer's name (Art. 16 GDPR) as a new version
    ///
    /// Every conversation with the customer shows the new name from now on; messages
    /// already archived keep the name they were written under, and `contact history`
    /// (and the note in the conversation) keeps the old one readable. Recorded in the
    /// archive with your staff name.
    Correct {
        /// Conversation ID, the customer's number or handle, or the exact name
        contact: String,
        /// The correct name
        #[arg(long)]
        name: String,
        /// Why (e.g. "Kunde am Telefon: Schmidt mit dt")
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Every correction of a customer's name, oldest first
    History {
        /// Conversation ID, the customer's number or handle, or the exact name
        contact: String,
        #[arg(long)]
        json: bool,
    },
}

/// Without a daemon: the profile opened here, the correction archived, then stored.
pub fn run(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: ContactCommand,
) -> Result<ExitCode> {
    let lang = config.language();
    match cmd {
        ContactCommand::History { contact, json } => {
            let p = crate::profile::open_read_only(config, paths, prompt)?;
            let id = crate::cli::inbox::find(&p.store, &contact, config)?
                .id
                .0
                .to_string();
            let (conv, versions) = p
                .store
                .contact_history(&id)?
                .ok_or_else(|| crate::cli::common::no_conversation(&contact, lang))?;
            print_history(&conv, &versions, json, lang)
        }
        ContactCommand::Correct {
            contact,
            name,
            reason,
        } => {
            let mut p = crate::profile::open(config, paths, prompt)?;
            let conv = crate::cli::inbox::find(&p.store, &contact, config)?;
            let c = ContactCorrection::name(
                &conv,
                &name,
                &reason,
                &config.staff_name(),
                Timestamp::now(),
            )
            .map_err(|e| refused(&e, lang))?;
            let blobs = p.blobs();
            match p.archive.as_mut() {
                Some(archive) => {
                    let scope = Scope::conversation_meta(&c.account, &c.conversation);
                    let payload = Payload::ContactCorrected(c.clone());
                    crate::lifecycle::Books {
                        archive,
                        store: &mut p.store,
                        blobs: Some(&blobs),
                    }
                    .record_scoped(&[(&scope, &payload)])?;
                }
                // The demo profile keeps no archive.
                None => {
                    use crate::store::Store as _;
                    p.store
                        .apply(&[crate::store::Op::CorrectContact(c.clone())])?;
                }
            }
            print_corrected(&c, lang)
        }
    }
}

/// Through the daemon: the correction is made by its engine under this seat's name.
pub(crate) async fn run_attached(
    remote: &Remote,
    cmd: ContactCommand,
    lang: Lang,
) -> Result<ExitCode> {
    match cmd {
        ContactCommand::History { contact, json } => {
            let found: Option<(Conversation, Vec<ContactCorrection>)> = remote
                .call("contact_history", &contact)
                .await
                .map_err(|e| anyhow!(e.message))?;
            let (conv, versions) =
                found.ok_or_else(|| crate::cli::common::no_conversation(&contact, lang))?;
            print_history(&conv, &versions, json, lang)
        }
        ContactCommand::Correct {
            contact,
            name,
            reason,
        } => {
            let conv = crate::cli::seat::find(remote, &contact, lang).await?;
            // Checked here too, so a refusal reads in this seat's language.
            ContactCorrection::name(&conv, &name, &reason, "", Timestamp::now())
                .map_err(|e| refused(&e, lang))?;
            let done = remote
                .order(
                    Order::CorrectContact {
                        conversation: conv.id,
                        name,
                        reason,
                    },
                    "",
                )
                .await
                .map_err(UsageError)?;
            let c = done
                .correction
                .ok_or_else(|| anyhow!("the daemon did not say what it recorded"))?;
            print_corrected(&c, lang)
        }
    }
}

fn refused(e: &CorrectionRefused, lang: Lang) -> anyhow::Error {
    let text = match (lang, e) {
        (Lang::De, CorrectionRefused::NoContact) => {
            "Ein Gruppenchat hat keine Kontaktdaten; im Einzelchat der Kundschaft berichtigen"
                .to_string()
        }
        (Lang::De, CorrectionRefused::Empty) => "Der neue Name ist leer".to_string(),
        (Lang::De, CorrectionRefused::Unchanged(n)) => {
            format!("Der Name lautet schon „{}“; nichts berichtigt", safe(n))
        }
        (Lang::De, CorrectionRefused::TooLong { max }) => {
            format!("Ein Name mit mehr als {max} Zeichen ist kein Name")
        }
        (Lang::En, e) => e.to_string(),
    };
    UsageError(text).into()
}

fn print_corrected(c: &ContactCorrection, lang: Lang) -> Result<ExitCode> {
    match lang {
        Lang::De => crate::outln!(
            "Name berichtigt: „{}“ → „{}“ (im Archiv vermerkt; frühere Nachrichten behalten den alten Namen)",
            safe(&c.old),
            safe(&c.new)
        ),
        Lang::En => crate::outln!(
            "name corrected: \"{}\" → \"{}\" (recorded in the archive; earlier messages keep the old name)",
            safe(&c.old),
            safe(&c.new)
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_history(
    conv: &Conversation,
    versions: &[ContactCorrection],
    json: bool,
    lang: Lang,
) -> Result<ExitCode> {
    if json {
        crate::out::json(&serde_json::json!({
            "conversation": conv.id.0,
            "account": conv.account.0,
            "identity": conv.contact.as_ref().map(|c| c.identity.clone()),
            "name": conv.contact.as_ref().map(|c| c.display_name.clone()),
            "versions": versions,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(contact) = &conv.contact else {
        return Err(refused(&CorrectionRefused::NoContact, lang));
    };
    crate::outln!(
        "{} ({})",
        safe(&contact.display_name),
        safe(contact.address())
    );
    if versions.is_empty() {
        crate::outln!(
            "{}",
            lang.t(
                "  nie berichtigt: der Name ist der des Netzwerks",
                "  never corrected: the name is the network's"
            )
        );
    }
    for v in versions {
        let when = v.at.to_local().format("%d.%m.%Y %H:%M");
        crate::outln!(
            "  {when}  „{}“ → „{}“  {} {}{}",
            safe(&v.old),
            safe(&v.new),
            lang.t("von", "by"),
            safe(&v.by),
            if v.reason.is_empty() {
                String::new()
            } else {
                format!(" — {}", safe(&v.reason))
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
