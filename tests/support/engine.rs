//! Running an engine in tests: waiting for what it does, an engine with its archive as
//! the TUI and the daemon run it, and what that archive holds or rebuilds.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tresen::archive::Payload;
use tresen::connector::Connector;
use tresen::engine::{Engine, EngineError, EngineHandle, EngineOptions, Notification};
use tresen::secrets::MasterKey;
use tresen::store::{BlobStore, SharedStore, SqliteStore};

/// Polls `ok` for up to 60 s (in async tests: the engine keeps running meanwhile).
pub async fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `ok` for up to 60 s from a plain thread (the engine runs on its own runtime).
pub fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits (up to 5 s) until the engine announces `want`.
pub async fn told(bus: &mut tokio::sync::broadcast::Receiver<Notification>, want: Notification) {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if bus.recv().await.ok() == Some(want) {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {want:?} within 5 s"));
}

/// An engine running on a store without an archive, past its initial sync.
pub struct Running {
    pub store: SharedStore,
    pub handle: EngineHandle,
    pub bus: tokio::sync::broadcast::Receiver<Notification>,
    pub task: tokio::task::JoinHandle<Result<(), EngineError>>,
}

pub async fn running(store: SharedStore, connectors: Vec<Box<dyn Connector>>) -> Running {
    running_with(store, connectors, None).await
}

/// As `running`, with compliance rules when given.
pub async fn running_with(
    store: SharedStore,
    connectors: Vec<Box<dyn Connector>>,
    rules: Option<tresen::compliance::Compliance>,
) -> Running {
    let waits = !connectors.is_empty();
    let (engine, handle) = Engine::start(store.clone(), connectors, EngineOptions::default());
    let engine = match rules {
        Some(r) => engine.with_compliance(r),
        None => engine,
    };
    let mut bus = handle.subscribe();
    let task = tokio::spawn(engine.run());
    if waits {
        told(&mut bus, Notification::CaughtUp).await;
    }
    Running {
        store,
        handle,
        bus,
        task,
    }
}

/// The archive key every test archive uses.
pub fn archive_key() -> MasterKey {
    MasterKey::from_bytes(&[9u8; 32]).unwrap()
}

/// An engine with its archive, as the TUI and the daemon run it.
pub struct Archived {
    pub engine: Engine,
    pub handle: EngineHandle,
    pub dir: PathBuf,
    pub key: MasterKey,
}

/// The engine on `dir/s.db` with its attachment store and the archive in `dir/archive`.
pub fn start_archived(dir: &Path, connectors: Vec<Box<dyn Connector>>) -> Archived {
    start_archived_with(dir, connectors, None)
}

/// The same with compliance rules (footer, consent, first-contact notice).
pub fn start_archived_with(
    dir: &Path,
    connectors: Vec<Box<dyn Connector>>,
    rules: Option<tresen::compliance::Compliance>,
) -> Archived {
    let key = archive_key();
    let sqlite = SqliteStore::open(&dir.join("s.db"), Some(&[6; 32])).unwrap();
    let store = tresen::profile::shared(sqlite, Some(BlobStore::new(dir, &key))).unwrap();
    let archive_dir = dir.join("archive");
    let (archive, _) = tresen::archive::Archive::open(&archive_dir, &key).unwrap();
    let (engine, handle) = Engine::start(store, connectors, EngineOptions::default());
    let engine = match rules {
        Some(r) => engine.with_compliance(r),
        None => engine,
    };
    let engine = engine.with_archive(archive, None, "test".into()).unwrap();
    Archived {
        engine,
        handle,
        dir: archive_dir,
        key,
    }
}

/// Every record's content, in order (records whose key was destroyed left out).
pub fn archived(dir: &Path, key: &MasterKey) -> Vec<Payload> {
    let mut keys = tresen::archive::keys::Keys::load(dir, key, true).unwrap();
    let mut out = Vec::new();
    tresen::archive::read::for_each(dir, &mut keys, 1, |r| {
        out.extend(r.payload);
        Ok(())
    })
    .unwrap();
    out
}

/// The archive replayed into an empty store, as `tresen store rebuild` does (files into
/// `blobs` when given).
pub fn rebuilt(dir: &Path, key: &MasterKey, blobs: Option<&BlobStore>) -> SqliteStore {
    let mut fresh = SqliteStore::open_in_memory().unwrap();
    let mut keys = tresen::archive::keys::Keys::load(dir, key, true).unwrap();
    let mut replay = tresen::ingest::Replay::default();
    tresen::archive::read::for_each(dir, &mut keys, 1, |r| {
        replay.apply(&mut fresh, blobs, r).unwrap();
        Ok(())
    })
    .unwrap();
    replay.flush(&mut fresh).unwrap();
    fresh
}
