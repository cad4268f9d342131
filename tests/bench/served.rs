//! The engine with the archive, and the daemon serving seats on a socket, for the
//! benches that attach seats.

use std::path::Path;
use std::sync::Arc;

use tresen::config::Config;
use tresen::engine::{Engine, EngineHandle, EngineOptions};
use tresen::store::SharedStore;

/// The engine and the daemon serving it on `socket`, on this runtime.
pub struct Served {
    pub handle: EngineHandle,
    _listening: tresen::daemon::socket::Listening,
    stop: tokio::sync::watch::Sender<Option<String>>,
    engine: tokio::task::JoinHandle<Result<(), tresen::engine::EngineError>>,
}

pub async fn serve(
    store: SharedStore,
    connectors: Vec<Box<dyn tresen::connector::Connector>>,
    archive_dir: &Path,
    socket: &Path,
    compliance: Option<tresen::compliance::Compliance>,
) -> Served {
    let key = tresen::secrets::MasterKey::from_bytes(&[9u8; 32]).unwrap();
    let (archive, _) = tresen::archive::Archive::open(archive_dir, &key).unwrap();
    let (engine, handle) = Engine::start(store, connectors, EngineOptions::default());
    let engine = match compliance {
        Some(c) => engine.with_compliance(c),
        None => engine,
    };
    let engine = engine.with_archive(archive, None, "bench".into()).unwrap();
    let engine = tokio::spawn(engine.run());
    let mut listening = tresen::daemon::socket::listen(socket, "").unwrap();
    let daemon =
        tresen::daemon::Daemon::new(handle.clone(), &Config::default(), socket.into(), None);
    let (stop, stop_rx) = tokio::sync::watch::channel(None);
    tokio::spawn(tresen::daemon::server::serve(
        listening.take_listener().unwrap(),
        Arc::clone(&daemon),
        stop_rx,
    ));
    Served {
        handle,
        _listening: listening,
        stop,
        engine,
    }
}

impl Served {
    pub async fn stop(self) {
        let _ = self.stop.send(Some("bench done".into()));
        self.handle.shutdown().await;
        let _ = self.engine.await;
    }
}
