//! The daemon's accounts while it runs: the connector of each configured account (an
//! account that cannot connect yet waits as `connector::Absent` instead of stopping
//! the daemon), and the Matrix login store the account commands work on.

use crate::config::{AccountConfig, Config, Paths};
use crate::connector::{Absent, Connector};
use crate::domain::AccountNetwork;
use crate::domain::{AccountId, Timestamp};
use crate::secrets::MasterKey;

/// What the lifecycle and account commands need of an opened profile (its paths, key
/// and accounts), for the daemon or a command that runs them itself.
pub fn office(config: &Config, profile: &super::OpenProfile) -> crate::seat::books::OfficeProfile {
    crate::seat::books::OfficeProfile {
        paths: profile.paths.clone(),
        public_key: crate::archive::manifest::Signer::new(&profile.key).public_hex(),
        key: profile.key.clone(),
        accounts: std::sync::Arc::new(AccountKit::new(config, profile)),
    }
}

/// What the daemon keeps of the profile it opened to build connectors later (the key
/// never leaves its process).
#[derive(Clone)]
pub struct AccountKit {
    config: Config,
    paths: Paths,
    #[cfg_attr(not(feature = "matrix"), allow(dead_code))]
    key: MasterKey,
}

impl AccountKit {
    pub fn new(config: &Config, profile: &super::OpenProfile) -> AccountKit {
        AccountKit {
            config: config.clone(),
            paths: profile.paths.clone(),
            key: profile.key.clone(),
        }
    }

    /// The configured account `id` of `network`, or the only one of that network.
    pub fn account(
        &self,
        id: Option<&str>,
        network: AccountNetwork,
    ) -> Result<&AccountConfig, String> {
        let of_network = || self.config.accounts.iter().filter(|a| a.network == network);
        let de = self.config.german();
        let net = network.as_str();
        match id {
            Some(id) => match self.config.accounts.iter().find(|a| a.id == id) {
                Some(a) if a.network == network => Ok(a),
                Some(a) if de => Err(format!(
                    "Konto `{id}` ist in der Konfiguration des Dienstes ein {}-Konto, kein {net}-Konto",
                    a.network.as_str()
                )),
                Some(a) => Err(format!(
                    "account `{id}` is a {} account in the daemon's config, not {net}",
                    a.network.as_str()
                )),
                None if de => Err(format!(
                    "Die Konfiguration des Dienstes kennt kein Konto `{id}`: dort unter [[accounts]] eintragen und den Dienst neu starten"
                )),
                None => Err(format!(
                    "the daemon's config lists no account `{id}`: add it under [[accounts]] there and restart the daemon"
                )),
            },
            None => match (of_network().next(), of_network().nth(1), de) {
                (Some(a), None, _) => Ok(a),
                (None, _, true) => Err(format!(
                    "Die Konfiguration des Dienstes hat kein {net}-Konto: dort unter [[accounts]] eintragen und den Dienst neu starten"
                )),
                (None, _, false) => Err(format!(
                    "the daemon's config lists no {net} account: add one under [[accounts]] there and restart the daemon"
                )),
                (Some(_), Some(_), true) => Err(format!(
                    "Die Konfiguration des Dienstes hat mehrere {net}-Konten: eines mit --id wählen"
                )),
                (Some(_), Some(_), false) => Err(format!(
                    "the daemon's config lists several {net} accounts: choose one with --id"
                )),
            },
        }
    }

    /// The connector for every configured account.
    pub fn connectors(&self) -> Vec<Box<dyn Connector>> {
        self.config
            .accounts
            .iter()
            .map(|a| self.connector_for(a))
            .collect()
    }

    /// The connector for `a` as configured; one that cannot connect yet (a Matrix
    /// account not logged in, a network this build lacks) says why and waits.
    pub fn connector_for(&self, a: &AccountConfig) -> Box<dyn Connector> {
        let absent = |why: String| -> Box<dyn Connector> {
            Box::new(Absent::new(AccountId(a.id.clone()), a.network, why))
        };
        match a.network {
            AccountNetwork::Demo => crate::demo::scripted_account(&a.id, Timestamp::now()),
            #[cfg(feature = "matrix")]
            AccountNetwork::Matrix => {
                let account = self.matrix(&a.id);
                match account.info() {
                    Ok(Some(_)) => Box::new(crate::connector::matrix::MatrixConnector::new(
                        account,
                        a.rooms.clone(),
                    )),
                    Ok(None) => absent(format!(
                        "not logged in: `tresen account add matrix --id {} --homeserver URL --user NAME`",
                        a.id
                    )),
                    Err(e) => absent(e.to_string()),
                }
            }
            AccountNetwork::Signal => {
                Box::new(super::signal_connector_at(&self.config, &self.paths, a))
            }
            #[allow(unreachable_patterns)]
            _ => absent(format!(
                "the {} connector is not part of this build",
                a.network.as_str()
            )),
        }
    }

    /// The login store of Matrix account `id`.
    #[cfg(feature = "matrix")]
    pub fn matrix(&self, id: &str) -> crate::connector::matrix::MatrixAccount {
        super::matrix_account_in(&self.paths, &self.key, id)
    }
}

impl crate::seat::accounts::Kit for AccountKit {
    fn pick(&self, id: Option<&str>, network: AccountNetwork) -> Result<String, String> {
        self.account(id, network).map(|a| a.id.clone())
    }

    fn signal(&self, id: Option<&str>, number: Option<&str>) -> Result<(String, String), String> {
        crate::config::which_account::signal(&self.config, id, number)
            .map(|a| (a.id.clone(), a.number.clone().unwrap_or_default()))
    }

    fn signal_keys(&self) -> Option<std::path::PathBuf> {
        match super::signal_endpoint_at(&self.config, &self.paths) {
            crate::connector::signal::Endpoint::Spawn(d) => Some(d.data_dir),
            _ => None,
        }
    }

    fn connector(&self, id: &str) -> Option<Box<dyn Connector>> {
        let a = self.config.accounts.iter().find(|a| a.id == id)?;
        Some(self.connector_for(a))
    }

    #[cfg(feature = "matrix")]
    fn matrix(&self, id: &str) -> crate::connector::matrix::MatrixAccount {
        AccountKit::matrix(self, id)
    }
}
