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
    #[error("{0}")]
    Refused(String),
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
    of_verified(dir, key, &report)
}

/// The anchor of the state `report` found (a verification just made of `dir`).
pub fn of_verified(
    dir: &Path,
    key: &MasterKey,
    report: &verify::Report,
) -> Result<Anchor, AnchorError> {
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

/// Writes an anchor's files into `out` (created if missing): manifests already there
/// must be the same bytes — another archive's, or a replaced manifest, is refused and
/// nothing is written. Returns how many manifests were new.
pub fn write(out: &Path, files: &[(String, Vec<u8>)]) -> Result<usize, AnchorError> {
    let io = |path: &Path, e| AnchorError::Archive(ArchiveError::io(path, e));
    crate::fsutil::ensure_private_dir(out).map_err(|e| AnchorError::Refused(e.to_string()))?;
    let Some((checkpoint, manifests)) = files.split_last() else {
        return Err(AnchorError::Refused(
            "an anchor without a checkpoint".into(),
        ));
    };
    let mut new = Vec::new();
    for (name, bytes) in manifests {
        let dst = out.join(safe_name(name)?);
        match std::fs::read(&dst) {
            Ok(existing) if existing == *bytes => {}
            Ok(_) => {
                return Err(AnchorError::Refused(format!(
                    "{} differs from the archive's {name}: this copy was made from another archive, or the archive's manifest was replaced. Nothing written.",
                    dst.display()
                )));
            }
            Err(_) => new.push((dst, bytes)),
        }
    }
    for (dst, bytes) in &new {
        crate::fsutil::write_private(dst, bytes).map_err(|e| io(dst, e))?;
    }
    let dst = out.join(safe_name(&checkpoint.0)?);
    crate::fsutil::write_private(&dst, &checkpoint.1).map_err(|e| io(&dst, e))?;
    if let Ok(d) = std::fs::File::open(out) {
        let _ = d.sync_all();
    }
    Ok(new.len())
}

/// A file name from an anchor: a plain name, nothing that leaves the directory.
fn safe_name(name: &str) -> Result<&str, AnchorError> {
    let p = Path::new(name);
    match (p.components().count(), p.components().next()) {
        (1, Some(std::path::Component::Normal(_))) => Ok(name),
        _ => Err(AnchorError::Refused(format!(
            "refused file name {name:?} in an anchor"
        ))),
    }
}
