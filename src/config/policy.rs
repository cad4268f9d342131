//! `[policy]`: the firm's usage policy for the messenger inbox (R-F1; the template is
//! docs/nutzungsrichtlinie.md). With a file set, each staff member accepts the current
//! version before their first session in the inbox and after every change.

use serde::{Deserialize, Serialize};

use crate::compliance::policy::Policy;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// The firm's usage policy (Markdown or text). Empty: none is asked for, and
    /// `compliance check` says so.
    pub file: String,
}

impl PolicyConfig {
    /// The policy in force; `Err` names what is wrong with the file.
    pub fn load(&self) -> Result<Option<Policy>, (&'static str, String)> {
        if self.file.trim().is_empty() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(self.file.trim()).map_err(|e| {
            (
                "policy.file",
                format!("cannot read `{}`: {e}", self.file.trim()),
            )
        })?;
        if text.trim().is_empty() {
            return Err(("policy.file", format!("`{}` is empty", self.file.trim())));
        }
        Ok(Some(Policy::of(&text)))
    }
}
