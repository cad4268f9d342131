//! The daemon's own checks of the archive (R-B3, R-B4): a full verification at start
//! when the last one on record is a day old (or there is none) and then daily, and —
//! with `[archive] anchor_dir` — an anchor after each verification, after each newly
//! sealed segment, and at start when the last one is a day old; with `[archive] tsa_url`
//! each anchor's checkpoint is also timestamped by that authority (RFC 3161). Verifying
//! runs beside the engine (it only reads); its outcome is appended through the engine,
//! the archive's single writer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::archive::integrity::{self, Check, IntegrityRecord};
use crate::archive::{Archive, anchor};
use crate::domain::Timestamp;
use crate::engine::EngineHandle;
use crate::seat::books::Office;

/// How often the daemon looks whether a check is due.
const TICK: Duration = Duration::from_secs(15 * 60);
/// How long a timestamp authority may take to connect and to answer.
const TSA_TIMEOUT: Duration = Duration::from_secs(30);
/// A verification a day.
const DAILY_MS: i64 = 24 * Timestamp::HOUR;

/// Runs until the engine stops.
pub async fn run(engine: EngineHandle, office: Arc<Office>) {
    let Some(profile) = office.profile.clone() else {
        return;
    };
    let dir = Archive::dir_of(&profile.paths.data_dir);
    let anchor_dir = match office.config.archive.anchor_dir.trim() {
        "" => None,
        d => Some(PathBuf::from(d)),
    };
    let tsa = match office.config.archive.tsa_url.trim() {
        "" => None,
        u => Some(u.to_string()),
    };
    let key = profile.key.clone();
    let newest = {
        let (dir, key) = (dir.clone(), key.clone());
        tokio::task::spawn_blocking(move || integrity::newest(&dir, &key))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    };
    let mut last_verify = newest.get(&Check::Verify).map(|r| r.at);
    // The last try, good or not: a failed anchor is tried again a day later (not every
    // quarter of an hour, each a record of its own).
    let mut last_anchor = newest.get(&Check::Anchor).map(|r| r.at);
    let mut sealed_at_anchor = None;
    let day_old = |t: Option<Timestamp>| t.is_none_or(|t| Timestamp::now().0 - t.0 >= DAILY_MS);
    loop {
        let sealed = sealed(&dir);
        let verify_due = day_old(last_verify);
        let anchor_due = anchor_dir.is_some()
            && (day_old(last_anchor) || sealed_at_anchor.is_some_and(|n| n != sealed));
        if verify_due || anchor_due {
            let (d, k, a, t) = (dir.clone(), key.clone(), anchor_dir.clone(), tsa.clone());
            let Ok(records) =
                tokio::task::spawn_blocking(move || check(&d, &k, a.as_deref(), t.as_deref()))
                    .await
            else {
                return;
            };
            for r in &records {
                if r.ok {
                    tracing::info!(
                        check = r.check.as_str(),
                        seq = r.seq,
                        "archive check passed"
                    );
                } else {
                    tracing::error!(check = r.check.as_str(), detail = %r.detail, "archive check FAILED");
                }
            }
            last_verify = Some(Timestamp::now());
            if records.iter().any(|r| r.check == Check::Anchor) {
                last_anchor = Some(Timestamp::now());
            }
            sealed_at_anchor = Some(sealed);
            if crate::seat::books::record_integrity(&engine, records)
                .await
                .is_err()
            {
                return;
            }
        } else if sealed_at_anchor.is_none() {
            sealed_at_anchor = Some(sealed);
        }
        tokio::time::sleep(TICK).await;
    }
}

/// How many segments are sealed (each has a manifest).
fn sealed(dir: &std::path::Path) -> usize {
    crate::archive::segments(dir)
        .map(|s| {
            s.into_iter()
                .filter(|&n| dir.join(crate::archive::manifest_name(n)).exists())
                .count()
        })
        .unwrap_or(0)
}

/// Verifies, anchors what verified, and has the anchor's checkpoint timestamped; the
/// outcomes as records.
fn check(
    dir: &std::path::Path,
    key: &crate::secrets::MasterKey,
    anchor_dir: Option<&std::path::Path>,
    tsa: Option<&str>,
) -> Vec<IntegrityRecord> {
    let (report, verified) = integrity::verify_now(dir, key, true, crate::domain::AUTOMATIC);
    if let Err(e) = crate::archive::checked::record(dir, &report) {
        tracing::warn!(error = %e, "cannot note the verification for `tresen status`");
    }
    let mut out = vec![verified.clone()];
    let Some(to) = anchor_dir else {
        return out;
    };
    let written = match verified.ok {
        true => anchor::of_verified(dir, key, &report)
            .and_then(|a| anchor::write(to, &a.files).map(|_| a)),
        false => Err(anchor::AnchorError::Refused(
            "not anchored: the verification failed".into(),
        )),
    };
    let record = |check, ok, detail: String, token: String| IntegrityRecord {
        check,
        ok,
        seq: report.last_seq,
        hash: report.last_hash.clone(),
        detail,
        by: crate::domain::AUTOMATIC.to_string(),
        at: Timestamp::now(),
        token,
    };
    out.push(record(
        Check::Anchor,
        written.is_ok(),
        match &written {
            Ok(_) => to.display().to_string(),
            Err(e) => format!("{}: {e}", to.display()),
        },
        String::new(),
    ));
    if let (Some(url), Ok(a)) = (tsa, &written) {
        out.push(match timestamp(url, to, a) {
            Ok((detail, token)) => record(Check::Timestamp, true, detail, token),
            Err(detail) => record(Check::Timestamp, false, detail, String::new()),
        });
    }
    out
}

/// The anchor's checkpoint timestamped by `url`; the reply written beside it
/// (`checkpoint-….tsr`). Returns what to record: where and when, and the token.
fn timestamp(
    url: &str,
    to: &std::path::Path,
    a: &anchor::Anchor,
) -> Result<(String, String), String> {
    use base64::Engine as _;
    let Some((name, checkpoint)) = a.files.last() else {
        return Err("the anchor has no checkpoint".into());
    };
    let stamp =
        crate::archive::tsa::stamp(url, checkpoint, TSA_TIMEOUT).map_err(|e| e.to_string())?;
    let tsr = to.join(name.replace(".json", ".tsr"));
    crate::fsutil::write_private(&tsr, &stamp.reply)
        .map_err(|e| format!("{}: {e}", tsr.display()))?;
    Ok((
        format!(
            "{url}: {} (serial {}), {}",
            stamp.gen_time,
            stamp.serial,
            tsr.display()
        ),
        base64::engine::general_purpose::STANDARD.encode(&stamp.reply),
    ))
}
