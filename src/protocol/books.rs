//! `books`: the lifecycle commands a seat asks the daemon to run on the archive and the
//! store as a whole (retention, a customer's GDPR requests, the exports), and `take`,
//! which hands an export's files over piece by piece.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::lifecycle::auditor::AuditExport;
use crate::lifecycle::dsar::{Erasure, Exported};
use crate::lifecycle::{RetentionPlan, Transcript};

/// What a seat asks for (`books`). The plans only read; what destroys, erases or
/// exports someone's data is the owner's (docs/daemon.md, the role table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Ask {
    /// What has reached the end of its retention period on `date` (default today).
    RetentionPlan {
        #[serde(default)]
        date: Option<NaiveDate>,
    },
    /// Destroy these parts (buckets) — those of them today's plan still lets expire.
    Expire { buckets: Vec<String> },
    /// What an Art. 17 request about `contact` would erase and restrict.
    ErasurePlan { contact: String },
    /// Carry out the erasure shown as `erase` and `restrict` (bucket ids); refused if
    /// it is no longer what the plan says.
    Erase {
        contact: String,
        erase: Vec<String>,
        restrict: Vec<String>,
    },
    /// Everything about `contact` (Art. 15/20); the access is recorded.
    DsarExport { contact: String },
    /// The tax auditor's export (GoBD Z3); the access is recorded. Staff appear as
    /// pseudonyms unless `staff_names` (R-D3).
    AuditExport {
        classes: Vec<String>,
        from: NaiveDate,
        to: NaiveDate,
        #[serde(default)]
        staff_names: bool,
    },
    /// A conversation's readable copy from the archive.
    Transcript {
        conversation: String,
        format: Transcript,
    },
    /// The archive verified, then its signed manifests and a signed checkpoint of the
    /// newest record (`archive anchor`), as an export to `take`.
    Anchor,
    /// What the daemon's configuration and inbox lack (`compliance check`).
    ComplianceCheck,
    /// The process documentation of the daemon's configuration; a changed one is kept
    /// as a new version in the daemon's data directory.
    Verfahrensdoku,
    /// The Art. 30 record of the daemon's configuration (`docs vvt`), kept like the
    /// process documentation.
    Vvt,
    /// Verify the backup copy at `dir` (on the daemon's machine) end to end against the
    /// live archive; the outcome is archived (R-B12).
    RestoreTest { dir: String },
    /// The documentation bundle (`docs bundle`): every kept version, with a manifest.
    DocsBundle,
    /// A customer's data-subject request came in (`dsar request`): archived with its
    /// due date.
    DsarRequest {
        contact: String,
        request: crate::lifecycle::requests::RequestKind,
        #[serde(default)]
        received: Option<NaiveDate>,
        #[serde(default)]
        note: String,
    },
    /// The request was answered (`dsar close`).
    DsarClose {
        id: String,
        #[serde(default)]
        how: String,
    },
    /// The requests still open (`dsar requests`).
    DsarOpen,
    /// A step of a conversation's offer or order (`order consumer|accept|decline|start|
    /// early-start`; R-E1, R-E2, R-E5).
    Order {
        conversation: String,
        change: crate::lifecycle::orders::OrderChange,
    },
    /// Every offer and order, or one conversation's (`order list|show`).
    Orders {
        #[serde(default)]
        conversation: Option<String>,
    },
}

impl Ask {
    /// Plans and the readable copy read; everything else writes to the archive (a
    /// destruction, an erasure, an access record).
    pub fn changes_something(&self) -> bool {
        !matches!(
            self,
            Ask::RetentionPlan { .. }
                | Ask::ErasurePlan { .. }
                | Ask::Transcript { .. }
                | Ask::Anchor
                | Ask::ComplianceCheck
                // Keeps a new version only when the configuration changed: a record of
                // the config, not a change anyone makes by reading it.
                | Ask::Verfahrensdoku
                | Ask::Vvt
                | Ask::DocsBundle
                | Ask::DsarOpen
                | Ask::Orders { .. }
        )
    }

    /// Only the owner may: destroy, erase, or hand a customer's or the firm's data out
    /// — and see the plans that lead there.
    pub fn owner_only(&self) -> bool {
        !matches!(
            self,
            Ask::Transcript { .. }
                | Ask::Anchor
                | Ask::ComplianceCheck
                | Ask::Verfahrensdoku
                | Ask::Vvt
                | Ask::RestoreTest { .. }
                | Ask::DocsBundle
                // Offers and orders are the office's daily work.
                | Ask::Order { .. }
                | Ask::Orders { .. }
        )
    }
}

/// `books`' answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Answer {
    Plan(RetentionPlan),
    Expired {
        parts: usize,
        messages: usize,
        /// Asked for but no longer expiring (a hold set meanwhile): left alone.
        skipped: usize,
    },
    Erasure(Erasure),
    /// The answer to the customer, in German.
    Erased {
        report: String,
    },
    Findings(crate::findings::Report),
    /// A generated document (process documentation, Art. 30 record): its version.
    Document {
        number: u32,
        text: String,
    },
    /// An archive check and its outcome, as archived.
    Integrity(crate::archive::integrity::IntegrityRecord),
    /// Data-subject requests: the one recorded or closed, or those still open.
    Requests {
        requests: Vec<crate::lifecycle::requests::Request>,
    },
    /// Offers and orders: the one changed or shown, or all of them.
    Orders {
        orders: Vec<crate::lifecycle::orders::OrderView>,
    },
    /// An export ready to `take`: its files' paths and sizes, in order.
    Export {
        what: ExportSummary,
        files: Vec<FileInfo>,
    },
}

/// What an export holds, for the line the command prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ExportSummary {
    Dsar(Exported),
    Audit(AuditExport),
    Transcript {
        messages: usize,
    },
    /// The documentation bundle: how many files, configurations, reports.
    Bundle(crate::procdoc::bundle::Summary),
    /// The record an anchor certifies, and the archive's public key.
    Anchor {
        seq: u64,
        hash: String,
        public_key: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Inside the export's directory, `/`-separated.
    pub name: String,
    pub size: u64,
}

/// `take`'s parameters: a piece of file `file` of the last export, from `offset`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Take {
    pub file: usize,
    pub offset: u64,
}

/// At most this much of a file per `take` (base64 keeps it well inside a line).
pub const PIECE: usize = 8 * 1024 * 1024;

/// `take`'s answer: the bytes from `offset` (none past the end).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Piece {
    #[serde(with = "super::base64_bytes")]
    pub data: Vec<u8>,
}
