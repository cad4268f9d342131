//! The archive's own unit tests (the writer's edge cases).

use super::*;

/// The archive in `dir` verified; it must be intact.
fn verified(dir: &Path, key: &MasterKey) -> verify::Report {
    let r = verify::verify(dir, key, &verify::Options::default(), &mut |_, _| {}).unwrap();
    assert!(r.ok, "{:?}", r.problem);
    r
}

/// A small system record.
fn entry() -> Entry {
    Entry {
        scope: Scope::System,
        payload: Payload::Access {
            what: "test".into(),
            scope: String::new(),
            by: String::new(),
            at: Timestamp(0),
        },
    }
}

#[test]
fn a_crash_between_sealing_and_the_next_segment_continues_there() {
    let dir = tempfile::tempdir().unwrap();
    let key = MasterKey::from_bytes(&[3; 32]).unwrap();
    let (mut a, _) = Archive::open(dir.path(), &key).unwrap();
    a.append(vec![entry(), entry()]).unwrap();
    a.seal().unwrap();
    drop(a);
    std::fs::remove_file(dir.path().join(segment_name(2))).unwrap();
    let (mut a, _) = Archive::open(dir.path(), &key).unwrap();
    assert_eq!(a.head().seq, 2);
    a.append(vec![entry()]).unwrap();
    let r = verified(dir.path(), &key);
    assert_eq!((r.records, r.sealed), (3, 1));
}

/// Issue 20: the wall clock set back an hour, then forward a day; and a restart
/// while it is still behind.
#[test]
fn archive_time_never_goes_back_and_a_clock_set_back_is_on_record() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let key = MasterKey::from_bytes(&[4; 32]).unwrap();
    let t0 = 1_781_000_000_000; // 2026-06-09, mid-month
    let wall = Arc::new(AtomicI64::new(t0));
    let clock = |wall: &Arc<AtomicI64>| -> crate::domain::Clock {
        let wall = wall.clone();
        Arc::new(move || Timestamp(wall.load(Ordering::SeqCst)))
    };
    let (mut a, _) = Archive::open(dir.path(), &key).unwrap();
    a.set_clock(clock(&wall));
    a.append(vec![entry()]).unwrap();
    wall.store(t0 - Timestamp::HOUR, Ordering::SeqCst);
    a.append(vec![entry()]).unwrap();
    a.append(vec![entry()]).unwrap(); // still behind: said once
    drop(a);
    let (mut a, _) = Archive::open(dir.path(), &key).unwrap();
    a.set_clock(clock(&wall));
    a.append(vec![entry()]).unwrap(); // after a restart: the kept time survives
    wall.store(t0 + Timestamp::DAY, Ordering::SeqCst);
    a.append(vec![entry()]).unwrap();
    drop(a);

    let mut keys = keys::Keys::load(dir.path(), &key, true).unwrap();
    let mut seen = Vec::new();
    read::for_each(dir.path(), &mut keys, 1, |r| {
        seen.push((r.ts, r.kind.clone(), r.payload));
        Ok(())
    })
    .unwrap();
    let times: Vec<i64> = seen.iter().map(|(ts, _, _)| *ts).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(times.last(), Some(&(t0 + Timestamp::DAY)));
    let notes: Vec<&Payload> = seen
        .iter()
        .filter(|(_, kind, _)| kind == "clock_back")
        .filter_map(|(_, _, p)| p.as_ref())
        .collect();
    // Once for the jump, once more after the restart (the new process cannot know).
    assert_eq!(notes.len(), 2, "{seen:?}");
    assert!(matches!(
        notes[0],
        Payload::ClockBack { wall: w, kept: k } if w.0 == t0 - Timestamp::HOUR && k.0 == t0
    ));
    verified(dir.path(), &key);
}

#[test]
fn torn_tails_are_found_after_the_last_good_line() {
    let ch = format::sha256_hex(b"x");
    let (l1, h1) = format::encode_line(1, 1, "message", "sys", &ch, format::GENESIS, "", "");
    let (l2, h2) = format::encode_line(2, 2, "message", "sys", &ch, &h1, "", "");
    let good = format!("{l1}\n{l2}\n");
    assert_eq!(
        last_good(good.as_bytes()),
        (good.len(), Some((2, h2.clone())))
    );
    let torn = format!("{good}{}", &l1[..20]);
    assert_eq!(last_good(torn.as_bytes()).0, good.len());
    let zeros = [good.as_bytes(), &[0u8; 512][..], b"\n"].concat();
    assert_eq!(last_good(&zeros).0, good.len());
    assert_eq!(last_good(b"garbage"), (0, None));
}
