//! The tax auditor's export (GoBD Z3, § 147 Abs. 6 AO): the messages of the statutory
//! classes in a date range, never all chats, with the files and a manifest.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{Files, LifecycleError, collect_all};
use crate::archive::export::{self, Row};
use crate::archive::retention;
use crate::archive::{Archive, Entry};
use crate::config::RetentionConfig;
use crate::domain::Timestamp;
use crate::store::StoreRead;

/// The classes an audit export holds when none are named.
pub const DEFAULT_CLASSES: [&str; 3] = ["handelsbrief", "buchungsbeleg", "buch"];

/// What the export holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditExport {
    pub messages: usize,
    pub files: usize,
    pub classes: Vec<String>,
}

/// The classes asked for (comma lists allowed; none: the statutory ones). Refused:
/// an unknown class, or one that is not tax-relevant.
pub fn classes(asked: &[String]) -> Result<BTreeSet<String>, LifecycleError> {
    let classes: BTreeSet<String> = if asked.is_empty() {
        DEFAULT_CLASSES.iter().map(|s| s.to_string()).collect()
    } else {
        asked
            .iter()
            .flat_map(|c| c.split(',').map(|s| s.trim().to_string()))
            .filter(|c| !c.is_empty())
            .collect()
    };
    for c in &classes {
        if c == retention::NO_STATUTORY || c == "internal" {
            return Err(LifecycleError::Refused(format!(
                "class `{c}` is not tax-relevant: an audit export holds only statutory classes (handelsbrief, buchungsbeleg, buch), never all chats"
            )));
        }
        if !retention::CLASSES.contains(&c.as_str()) {
            return Err(LifecycleError::Refused(format!(
                "unknown class `{c}`; one of: handelsbrief, buchungsbeleg, buch"
            )));
        }
    }
    Ok(classes)
}

/// The export of `classes` from `from` to `to` (both days included), for the firm
/// `firm`; the access is recorded in the archive, `by` whom, as the data leaves it.
#[allow(clippy::too_many_arguments)]
pub fn export(
    archive: &mut Archive,
    store: &dyn StoreRead,
    retention: &RetentionConfig,
    classes: &BTreeSet<String>,
    (from, to): (NaiveDate, NaiveDate),
    staff_names: bool,
    firm: &str,
    by: &str,
) -> Result<(AuditExport, Files), LifecycleError> {
    if from > to {
        return Err(LifecycleError::Refused("--from is after --to".into()));
    }
    let labels = super::store_labels(store)?;
    let dir = archive.dir().to_path_buf();
    let all = collect_all(&dir, archive.keys())?;
    let tags = retention.tag_pairs();
    let class_of = |a: &str, c: &str| {
        let key = (a.to_string(), c.to_string());
        let mut l: Vec<String> = labels.get(&key).cloned().unwrap_or_default();
        l.extend(all.labels.get(&key).into_iter().flatten().cloned());
        retention::class_for(&l, &tags, &retention.default_class).to_string()
    };
    let (Some((lo, _)), Some((_, hi))) = (day_span(from), day_span(to)) else {
        return Err(LifecycleError::Refused(format!(
            "{from}..{to} is no range of days"
        )));
    };
    let shown: Vec<Row> = match staff_names {
        true => all.rows.clone(),
        false => pseudonymised(&all.rows),
    };
    let rows: Vec<(&Row, String, String)> = shown
        .iter()
        .filter(|r| r.at >= lo && r.at <= hi)
        .map(|r| {
            let title = all.title(&r.account, &r.conversation);
            (r, title, class_of(&r.account, &r.conversation))
        })
        .filter(|(_, _, class)| classes.contains(class))
        .collect();
    let in_scope: BTreeSet<(&str, &str)> = rows
        .iter()
        .map(|(r, _, _)| (r.account.as_str(), r.conversation.as_str()))
        .collect();
    let scoped_messages: BTreeSet<&str> = rows
        .iter()
        .filter_map(|(r, _, _)| r.remote_id.as_deref())
        .collect();
    let files: Vec<_> = all
        .files
        .iter()
        .filter(|f| in_scope.contains(&(f.account.as_str(), f.conversation.as_str())))
        .filter(|f| scoped_messages.contains(f.message.as_str()) || f.message.starts_with("local:"))
        .collect();
    let supplier = export::Supplier {
        name: firm,
        location: "",
        comment: "Erzeugt von tresen (archive export); Integrität: manifest.sha256, tresen archive verify",
    };
    let n = rows.len();
    let written = Files(export::auditor(&rows, &files, &supplier, from, to));
    let classes: Vec<String> = classes.iter().cloned().collect();
    archive.append(vec![Entry::accessed(
        "auditor_export",
        format!(
            "{from}..{to} classes {}: {n} messages, {}",
            classes.join(","),
            if staff_names {
                "with staff names"
            } else {
                "staff pseudonymised"
            }
        ),
        by,
    )])?;
    Ok((
        AuditExport {
            messages: n,
            files: files.len(),
            classes,
        },
        written,
    ))
}

/// The rows with each staff member who sent for the firm as "Mitarbeiter/in N" (N in
/// order of their first message in the archive; the same person is the same N
/// throughout the export). tresen's automatic messages keep their sender.
fn pseudonymised(rows: &[Row]) -> Vec<Row> {
    let mut names: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    rows.iter()
        .map(|r| {
            let mut r = r.clone();
            if r.direction == crate::domain::Direction::Outbound
                && !r.sender.is_empty()
                && r.sender != crate::domain::AUTOMATIC
            {
                let next = names.len() + 1;
                let n = *names.entry(r.sender.clone()).or_insert(next);
                r.sender = format!("Mitarbeiter/in {n}");
            }
            r
        })
        .collect()
}

/// The first and last millisecond of a day (UTC, as the archive's times are).
fn day_span(day: NaiveDate) -> Option<(Timestamp, Timestamp)> {
    let start = day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis();
    let end = day
        .and_hms_milli_opt(23, 59, 59, 999)?
        .and_utc()
        .timestamp_millis();
    Some((Timestamp(start), Timestamp(end)))
}
