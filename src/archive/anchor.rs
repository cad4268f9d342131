//! What `tresen archive anchor` hands out for a copy off this machine: every sealed
//! segment's signed manifest and a signed checkpoint of the newest record — made only
//! from an archive that verifies, so an anchor never certifies damage.

use std::path::Path;

use super::manifest::{self, CHECKPOINT_FORMAT, Checkpoint, Signer};
use super::{ArchiveError, verify};
use crate::domain::Timestamp;
use crate::secrets::MasterKey;

/// The anchor's files (manifests first, the checkpoint last) and what it certifies.
pub struct Anchor {
    pub files: Vec<(String, Vec<u8>)>,
    pub seq: u64,
    pub hash: String,
    pub public_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    #[error(
        "the archive is damaged at record {seq} ({message}); an anchor would certify that. Run `tresen archive verify`."
    )]
    Damaged { seq: u64, message: String },
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// Verifies the archive in `dir` (`live`: a writer may be appending) and makes the
/// anchor of its state.
pub fn make(dir: &Path, key: &MasterKey, live: bool) -> Result<Anchor, AnchorError> {
    let report = verify::verify(
        dir,
        key,
        &verify::Options {
            live,
            ..Default::default()
        },
        &mut |_, _| {},
    )?;
    if let Some(p) = &report.problem {
        return Err(AnchorError::Damaged {
            seq: p.seq,
            message: p.message.clone(),
        });
    }
    let mut files = Vec::new();
    for n in super::segments(dir)? {
        let name = super::manifest_name(n);
        let src = dir.join(&name);
        if src.exists() {
            let bytes = std::fs::read(&src).map_err(|e| ArchiveError::io(&src, e))?;
            files.push((name, bytes));
        }
    }
    let signer = Signer::new(key);
    let cp = Checkpoint {
        format: CHECKPOINT_FORMAT.into(),
        seq: report.last_seq,
        hash: report.last_hash.clone(),
        at: Timestamp::now().0,
        public_key: signer.public_hex(),
    };
    files.push((
        format!("checkpoint-{:012}.json", cp.seq),
        manifest::signed_checkpoint(&cp, &signer)?,
    ));
    Ok(Anchor {
        files,
        seq: cp.seq,
        hash: cp.hash,
        public_key: cp.public_key,
    })
}
