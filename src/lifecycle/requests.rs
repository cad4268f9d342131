//! Data-subject requests on record (R-F2; Art. 12(3) GDPR): what a customer asked for
//! (access, erasure, a correction, …), when it arrived, by when the answer is due — one
//! month — and when it was answered. `compliance check` counts the open ones with their
//! due dates. The records are proof of having answered in time (Art. 5(2)); they are
//! kept in the archive's own part, not with the customer's conversations.

use std::path::Path;

use chrono::NaiveDate;

use super::{Books, LifecycleError};
use crate::archive::{ArchiveError, Payload, keys::Keys, read};
pub use crate::compliance::requests::{Closed, Request, RequestKind, due};
use crate::domain::Timestamp;

/// The requests still open, soonest due first, from what `feed` saw.
#[derive(Debug, Default)]
pub struct Ledger {
    requests: Vec<Request>,
    closed: std::collections::BTreeSet<String>,
}

impl Ledger {
    /// Feeds one archived payload (the compliance check's pass over the archive).
    pub fn feed(&mut self, p: &Payload) {
        match p {
            Payload::DsarRequest(r) => self.requests.push(r.clone()),
            Payload::DsarClosed(c) => {
                self.closed.insert(c.id.clone());
            }
            _ => {}
        }
    }

    pub fn open(mut self) -> Vec<Request> {
        self.requests.retain(|r| !self.closed.contains(&r.id));
        self.requests.sort_by_key(|r| (r.due, r.at));
        self.requests
    }

    fn find(&self, id: &str) -> Option<&Request> {
        self.requests.iter().find(|r| r.id == id)
    }
}

/// The ledger of requests in the archive at `dir`.
pub fn ledger(dir: &Path, keys: &mut Keys) -> Result<Ledger, ArchiveError> {
    let mut l = Ledger::default();
    read::each_payload(dir, keys, |p| l.feed(p))?;
    Ok(l)
}

/// What the request names: (number or handle, conversation title) of who asked.
pub struct Asked<'a> {
    pub contact: &'a str,
    pub kind: RequestKind,
    pub received: Option<NaiveDate>,
    pub note: &'a str,
}

/// Records a request that came in on `received` (default today). A customer the inbox
/// knows is recorded by name and address (a conversation number would not last); anyone
/// else as named. `de`: refusals in German.
pub fn record(
    books: &mut Books<'_>,
    asked: Asked<'_>,
    by: &str,
    de: bool,
) -> Result<Request, LifecycleError> {
    let Asked {
        contact,
        kind,
        received,
        note,
    } = asked;
    let today = super::today();
    let received = received.unwrap_or(today);
    if received > today {
        return Err(LifecycleError::Refused(if de {
            format!("--received {received} liegt in der Zukunft")
        } else {
            format!("--received {received} is in the future")
        }));
    }
    if contact.trim().is_empty() {
        return Err(LifecycleError::Refused(
            if de {
                "Wer hat den Antrag gestellt?"
            } else {
                "name the customer"
            }
            .into(),
        ));
    }
    let contact = match books.store.find_conversation(contact.trim())? {
        Some(c) => match &c.contact {
            Some(k) => format!("{} ({})", k.display_name, k.address()),
            None => c.title,
        },
        None => contact.trim().to_string(),
    };
    let at = Timestamp::now();
    let r = Request {
        id: format!("a-{:08x}", rand::random::<u32>()),
        contact,
        kind,
        received,
        due: due(received),
        note: note.trim().to_string(),
        by: by.to_string(),
        at,
    };
    books.record(&[Payload::DsarRequest(r.clone())])?;
    Ok(r)
}

/// Closes open request `id`; refused for one that does not exist or is closed.
pub fn close(
    books: &mut Books<'_>,
    id: &str,
    how: &str,
    by: &str,
    de: bool,
) -> Result<Request, LifecycleError> {
    let dir = books.archive.dir().to_path_buf();
    let ledger = ledger(&dir, books.archive.keys())?;
    if ledger.closed.contains(id) {
        return Err(LifecycleError::Refused(if de {
            format!("Antrag {id} ist schon erledigt")
        } else {
            format!("request {id} is closed already")
        }));
    }
    let request = ledger.find(id).cloned().ok_or_else(|| {
        LifecycleError::Refused(if de {
            format!("kein Antrag `{id}` (siehe `tresen dsar requests`)")
        } else {
            format!("no request `{id}` (see `tresen dsar requests`)")
        })
    })?;
    books.record(&[Payload::DsarClosed(Closed {
        id: id.to_string(),
        how: how.trim().to_string(),
        by: by.to_string(),
        at: Timestamp::now(),
    })])?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn r_f2_closed_requests_are_not_open() {
        let r = |id: &str, due: &str| Request {
            id: id.into(),
            contact: "+491701".into(),
            kind: RequestKind::Access,
            received: d("2026-01-01"),
            due: d(due),
            note: String::new(),
            by: "Anna".into(),
            at: Timestamp(0),
        };
        let mut l = Ledger::default();
        l.feed(&Payload::DsarRequest(r("a-1", "2026-02-01")));
        l.feed(&Payload::DsarRequest(r("a-2", "2026-01-15")));
        l.feed(&Payload::DsarClosed(Closed {
            id: "a-1".into(),
            how: "Auskunft per Post".into(),
            by: "Anna".into(),
            at: Timestamp(1),
        }));
        let open = l.open();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].id, "a-2");
    }
}
