//! Issue 20, time jumps: the machine's clock set back an hour, then forward a day, read
//! by the engine's rules (which date every send) and the archive from one injected
//! clock; the customer's phone keeps the right time.
//! A reply is never sorted above the customer message it answers (nor leaves the
//! conversation waiting), and the archive's time never goes back and says when the wall
//! clock did.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use support::engine::{archive_key, wait_until};
use support::signal_peer::*;
use tresen::archive::{Archive, Payload, read};
use tresen::domain::{Direction, Timestamp};
use tresen::engine::{Engine, EngineOptions};
use tresen::store::SqliteStore;

const HOUR: i64 = Timestamp::HOUR;
const DAY: i64 = Timestamp::DAY;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_set_back_or_forward_breaks_neither_the_order_nor_the_archive_time() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    // Saturday 24 October 2026, noon (UTC ms).
    let t = 1_792_843_200_000i64;
    let wall = Arc::new(AtomicI64::new(t));
    let clock = || -> tresen::domain::Clock {
        let w = wall.clone();
        Arc::new(move || Timestamp(w.load(Ordering::SeqCst)))
    };
    let key = archive_key();
    let sqlite = SqliteStore::open(&dir.path().join("s.db"), Some(&[6; 32])).unwrap();
    let store = tresen::profile::shared(sqlite, None).unwrap();
    let adir = dir.path().join("archive");
    let (mut archive, _) = Archive::open(&adir, &key).unwrap();
    archive.set_clock(clock());
    let (engine, h) = Engine::start(store, vec![signal(&socket, &[])], EngineOptions::default());
    let engine = engine
        .with_archive(archive, None, "Anna".into())
        .unwrap()
        .with_away(None, clock());
    let task = tokio::spawn(engine.run());
    subscribed(&seen).await;
    let inbound = |n: usize| {
        let h = h.clone();
        move || {
            h.store().read(|s| {
                s.conversations().unwrap().iter().any(|c| {
                    s.messages(c.id, None, 100)
                        .unwrap()
                        .iter()
                        .filter(|m| m.direction == Direction::Inbound)
                        .count()
                        >= n
                })
            })
        }
    };

    say.send(Say::Line(dm(t, "Heizung kalt", false))).unwrap();
    wait_until("her first message", inbound(1)).await;
    let conv = h.store().read(|s| s.conversations().unwrap()[0].id);

    // The clock goes back an hour; her phone's does not. She asks again, staff answer.
    wall.store(t - HOUR, Ordering::SeqCst);
    say.send(Say::Line(dm(t + 60_000, "Wann kommen Sie?", false)))
        .unwrap();
    wait_until("her second message", inbound(2)).await;
    let reply = h
        .send(conv, "Morgen um 8 Uhr.".into(), "Anna".into())
        .await
        .unwrap();
    wait_until("the reply handed to signal-cli", || sends(&seen).len() == 1).await;
    // Oldest first, as the conversation shows them.
    let (shown, c) = h.store().read(|s| {
        (
            s.messages(conv, None, 10).unwrap(),
            s.conversation(conv).unwrap().unwrap(),
        )
    });
    let last = shown.last().unwrap();
    assert_eq!(
        last.id,
        reply,
        "the reply sorts below the question it answers: {:?}",
        shown
            .iter()
            .map(|m| (&m.body, m.sent_at))
            .collect::<Vec<_>>()
    );
    assert!(last.sent_at.0 > t + 60_000, "{:?}", last.sent_at);
    assert_eq!(
        c.waiting_since, None,
        "answered: the conversation does not wait for a reply"
    );

    // The clock jumps a day ahead: a reply goes out dated by it (honestly, nothing in
    // the conversation is later); then the clock is put right again.
    wall.store(t + DAY, Ordering::SeqCst);
    say.send(Say::Line(dm(t + 2 * 60_000, "Danke!", false)))
        .unwrap();
    wait_until("her third message", inbound(3)).await;
    let ahead = h
        .send(conv, "Gern geschehen.".into(), "Anna".into())
        .await
        .unwrap();
    let dated = h
        .store()
        .read(|s| s.message(ahead).unwrap().unwrap().sent_at);
    assert_eq!(dated.0, t + DAY, "dated by the clock it was sent by");
    wall.store(t + 3 * 60_000, Ordering::SeqCst);
    say.send(Say::Line(dm(t + 3 * 60_000, "Bis morgen", false)))
        .unwrap();
    wait_until("her fourth message", inbound(4)).await;
    wait_until("both replies handed over", || sends(&seen).len() == 2).await;

    h.shutdown().await;
    let _ = task.await.unwrap();

    // The archive's time never went back; each time the wall clock did, it says so.
    let mut keys = tresen::archive::keys::Keys::load(&adir, &key, true).unwrap();
    let mut times = Vec::new();
    let mut backs = Vec::new();
    read::for_each(&adir, &mut keys, 1, |r| {
        times.push(r.ts);
        if let Some(Payload::ClockBack { wall, kept }) = &r.payload {
            backs.push((wall.0, kept.0));
        }
        Ok(())
    })
    .unwrap();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "archive time is monotonic: {times:?}"
    );
    assert!(
        backs.iter().any(|&(wall, _)| wall == t - HOUR),
        "the hour back is on record: {backs:?}"
    );
    assert!(
        backs
            .iter()
            .any(|&(wall, kept)| wall == t + 3 * 60_000 && kept >= t + DAY),
        "the return from the day ahead is on record: {backs:?}"
    );
}
