//! Which configured account a command means, where it may be given by id, by number or
//! left out when the config has only one: shared by the commands run here and the
//! daemon, which picks among the accounts of its own config.

use super::{AccountConfig, Config};

/// The Signal account a command means: by id, by number, or the only one.
pub fn signal<'a>(
    config: &'a Config,
    id: Option<&str>,
    number: Option<&str>,
) -> Result<&'a AccountConfig, String> {
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
        return Err(format!(
            "`{n}` is not a number in international format: write it as +49… (e.g. +493012345678)"
        ));
    }
    let found = match (id, number) {
        (Some(id), _) => signal()
            .find(|a| a.id == id)
            .ok_or_else(|| format!("no Signal account `{id}` in the config"))?,
        (None, Some(n)) => signal()
            .find(|a| a.number.as_deref() == Some(n))
            .ok_or_else(|| {
                format!(
                    "no Signal account with number {n} in the config{}",
                    example(n)
                )
            })?,
        (None, None) => {
            let mut all = signal();
            match (all.next(), all.next()) {
                (Some(a), None) => a,
                (None, _) => {
                    return Err(format!(
                        "no Signal account in the config{}",
                        example("+493012345678")
                    ));
                }
                _ => {
                    return Err(
                        "the config lists several Signal accounts: choose one with --id".into(),
                    );
                }
            }
        }
    };
    if let Some(n) = number
        && found.number.as_deref() != Some(n)
    {
        return Err(format!(
            "account `{}` has number {} in the config, not {n}",
            found.id,
            found.number.as_deref().unwrap_or("(none)")
        ));
    }
    Ok(found)
}
