//! What `tresen send` sends: the files read up front, the text (or a quick reply filled
//! in) and the options.

use std::path::PathBuf;

use anyhow::Result;

use crate::config::Config;
use crate::domain::Timestamp;
use crate::error::UsageError;

/// Reads the files to attach before anything starts: a typo fails fast and sends nothing.
pub(crate) fn read_files(attach: &[PathBuf]) -> Result<Vec<crate::engine::NewFile>> {
    Ok(attach
        .iter()
        .map(|p| {
            crate::engine::NewFile::read(p)
                .map_err(|e| UsageError(format!("cannot read {}: {e}", p.display())))
        })
        .collect::<Result<Vec<_>, _>>()?)
}

/// What `tresen send` sends: the text (a quick reply filled in for the conversation
/// `lookup` finds), the files and the options.
pub(crate) fn send_input(
    config: &Config,
    text: String,
    files: Vec<crate::engine::NewFile>,
    mut tag: Vec<String>,
    purpose: Option<crate::cli::compliance::PurposeArg>,
    template: Option<String>,
    lookup: impl FnOnce() -> Option<crate::domain::Conversation>,
) -> Result<(
    String,
    Vec<crate::engine::NewFile>,
    crate::engine::SendOptions,
)> {
    // `-`: the text comes from standard input (a pipe, a file).
    let text = if text == "-" {
        let mut read = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut read)
            .map_err(|e| UsageError(format!("cannot read the text from standard input: {e}")))?;
        read.trim_end_matches(['\n', '\r']).to_string()
    } else {
        text
    };
    let text = crate::domain::unix_newlines(&text);
    if text.trim().is_empty() && files.is_empty() && template.is_none() {
        return Err(UsageError(
            "nothing to send: give a text, --template NAME or --attach FILE".into(),
        )
        .into());
    }
    let mut text = text;
    let mut vordruck = false;
    if let Some(name) = template {
        let all = config.all_quick_replies();
        let q = all
            .iter()
            .find(|q| q.name.eq_ignore_ascii_case(&name))
            .ok_or_else(|| {
                UsageError(format!(
                    "no quick reply `{name}`; configured: {}",
                    all.iter()
                        .map(|q| q.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        let kunde = lookup().map_or_else(String::new, |c| {
            c.contact
                .as_ref()
                .map_or(c.title.clone(), |ct| ct.display_name.clone())
        });
        let today = Timestamp::now().to_local().format("%d.%m.%Y").to_string();
        let filled = q.fill(&kunde, &today, &config.staff_name());
        text = if text.trim().is_empty() {
            filled
        } else {
            format!("{filled}\n\n{text}")
        };
        tag.extend(q.tags.iter().cloned());
        vordruck = q.vordruck;
    }
    let mut options = crate::cli::compliance::send_options(tag, purpose);
    options.vordruck = vordruck;
    Ok((text, files, options))
}
