//! The processor register and each channel's risk (R-C6, R-C7, R-C15): who is missing
//! from the register, who has no AVV, which consumer-app access lacks the firm's
//! acceptance and DPIA, which bridged network reaches the inbox undeclared.

use std::collections::BTreeSet;

use super::{Finding, Level, finding};
use crate::config::{ApiType, Config};
use crate::domain::{AccountNetwork, Channel};
use crate::store::{StoreError, StoreRead};

pub(super) fn config_findings(config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    let real = config
        .accounts
        .iter()
        .any(|a| a.network != AccountNetwork::Demo);
    let without_avv: Vec<&str> = config
        .processors
        .iter()
        .filter(|p| p.avv_ref.trim().is_empty())
        .map(|p| p.name.trim())
        .collect();
    if config.processors.is_empty() && real {
        out.push(finding(
            "processors",
            Level::Required,
            "no [[processors]] register: name the homeserver and bridge hosts, the messenger providers and the backup target with location and AVV (docs/compliance.md); the privacy notice, the Art. 15 answer and `tresen docs vvt` name recipients from it",
            "kein Verzeichnis [[processors]]: Homeserver- und Bridge-Hoster, die Messenger-Anbieter und das Sicherungsziel mit Standort und AVV eintragen (docs/compliance.md); Datenschutzhinweis, Auskunft nach Art. 15 und `tresen docs vvt` nennen die Empfänger daraus",
        ));
    } else if !without_avv.is_empty() {
        out.push(finding(
            "processors",
            Level::Required,
            format!(
                "{} processor(s) without avv_ref: {} — note where the AVV (Art. 28 GDPR) is filed, or why there is none",
                without_avv.len(),
                without_avv.join(", ")
            ),
            format!(
                "{} Auftragsverarbeiter ohne avv_ref: {} — eintragen, wo der AVV (Art. 28 DSGVO) abgelegt ist oder warum es keinen gibt",
                without_avv.len(),
                without_avv.join(", ")
            ),
        ));
    } else if !config.processors.is_empty() {
        out.push(finding(
            "processors",
            Level::Ok,
            format!(
                "{} processor(s), each with an AVV reference",
                config.processors.len()
            ),
            format!(
                "{} Auftragsverarbeiter, jeder mit AVV-Verweis",
                config.processors.len()
            ),
        ));
    }
    for a in &config.accounts {
        let mut accesses = vec![(
            a.provider(),
            a.api_type(),
            a.accepted_risk_ref.trim(),
            a.dpia_ref.trim(),
        )];
        accesses.extend(a.bridges.iter().map(|b| {
            (
                b.provider(),
                b.api_type,
                b.accepted_risk_ref.trim(),
                b.dpia_ref.trim(),
            )
        }));
        for (provider, api, accepted, dpia) in accesses {
            if api != ApiType::ConsumerAppBridge {
                continue;
            }
            if accepted.is_empty() || dpia.is_empty() {
                out.push(finding(
                    "channel_risk",
                    Level::Required,
                    format!(
                        "account `{}`: {provider} through a consumer-app bridge is high risk (the provider's terms, address book, transfer outside the EU): record the firm's acceptance (accepted_risk_ref) and a DPIA (dpia_ref) (R-C6, R-C15)",
                        a.id
                    ),
                    format!(
                        "Konto `{}`: {provider} über eine Bridge zur Verbraucher-App ist ein hohes Risiko (Nutzungsbedingungen des Anbieters, Adressbuch, Übermittlung außerhalb der EU): die Annahme durch die Firma (accepted_risk_ref) und eine DSFA (dpia_ref) eintragen (R-C6, R-C15)",
                        a.id
                    ),
                ));
            } else {
                out.push(finding(
                    "channel_risk",
                    Level::Warning,
                    format!(
                        "account `{}`: {provider} through a consumer-app bridge, high risk accepted ({accepted}), DPIA {dpia}; the WhatsApp Business Platform through an EU provider is the lower-risk way",
                        a.id
                    ),
                    format!(
                        "Konto `{}`: {provider} über eine Bridge zur Verbraucher-App, hohes Risiko angenommen ({accepted}), DSFA {dpia}; die WhatsApp Business Platform über einen Anbieter in der EU ist der Weg mit geringerem Risiko",
                        a.id
                    ),
                ));
            }
        }
    }
    out
}

/// Bridged networks the inbox holds conversations of, on a Matrix account that does not
/// declare that bridge (its risk was never assessed).
pub(super) fn inbox_findings(
    config: &Config,
    store: &dyn StoreRead,
) -> Result<Vec<Finding>, StoreError> {
    let mut seen = BTreeSet::new();
    for c in store.conversations()? {
        let network = match c.channel {
            Channel::Whatsapp => "whatsapp",
            Channel::Telegram => "telegram",
            Channel::Signal => "signal",
            Channel::Matrix | Channel::Other => continue,
        };
        let Some(a) = config.accounts.iter().find(|a| a.id == c.account.0) else {
            continue;
        };
        if a.network == AccountNetwork::Matrix && !a.bridges.iter().any(|b| b.network == network) {
            seen.insert((a.id.clone(), network));
        }
    }
    Ok(seen
        .into_iter()
        .map(|(account, network)| {
            finding(
                "channel_undeclared",
                Level::Required,
                format!(
                    "account `{account}` has {network} conversations through a bridge not declared under its bridges: add it with its api_type (R-C6)"
                ),
                format!(
                    "Konto `{account}` hat Unterhaltungen aus {network} über eine Bridge, die unter seinen bridges fehlt: sie mit ihrem api_type eintragen (R-C6)"
                ),
            )
        })
        .collect())
}
