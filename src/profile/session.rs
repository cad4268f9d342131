//! From an open profile to a running engine: the one assembly the TUI, the daemon,
//! `sync --once`, `send` and the attachment commands share. The store gets its attachment
//! store and a read connection for the UI, the engine its compliance rules and the
//! archive (brought up to date, with the configuration in force recorded); the lock and
//! the demo's directory live as long as the [`Held`] it hands back.

use super::{OpenProfile, Paths, ProfileError};
use crate::connector::Connector;
use crate::engine::{Engine, EngineHandle, EngineOptions};

pub struct Session {
    engine: Engine,
    handle: EngineHandle,
    held: Held,
}

/// What must live as long as the engine runs: the profile lock and the demo's
/// directory. Bind it to a name (`_held`, not `_`) until the engine has stopped.
#[must_use = "dropping it releases the profile lock while the engine runs"]
pub struct Held {
    pub paths: Paths,
    _lock: super::ProfileLock,
    _temp: Option<tempfile::TempDir>,
}

impl Session {
    /// Assembles the engine of `profile` with `connectors`. Call within a tokio
    /// runtime (connectors start at once). `staff` is who the archive names for label
    /// changes this session makes.
    pub fn start(
        profile: OpenProfile,
        connectors: Vec<Box<dyn Connector>>,
        options: EngineOptions,
        staff: String,
    ) -> Result<Session, ProfileError> {
        let blobs = profile.blobs();
        let OpenProfile {
            store,
            lock,
            temp,
            paths,
            archive,
            compliance,
            urgent,
            hooks,
            away,
            max_late,
            ..
        } = profile;
        let shared = super::shared(store, Some(blobs))?;
        let (engine, handle) = Engine::start(shared, connectors, options);
        let mut engine = engine
            .with_compliance(compliance)
            .with_urgent(urgent)
            .with_hooks(hooks)
            .with_away(away, crate::domain::system_clock())
            .with_max_late(max_late);
        if let Some(archive) = archive {
            // The demo's configuration is not the office's: not archived.
            let config = match (&paths.config_file, temp.is_some()) {
                (Some(file), false) => std::fs::read_to_string(file)
                    .ok()
                    .map(|text| (file.display().to_string(), text)),
                _ => None,
            };
            engine = engine
                .with_archive(archive, config, staff)
                .map_err(ProfileError::Replay)?;
        }
        Ok(Session {
            engine,
            handle,
            held: Held {
                paths,
                _lock: lock,
                _temp: temp,
            },
        })
    }

    /// The engine (not yet running: spawn or await `engine.run()`), its handle, and
    /// what must be held until it has stopped.
    pub fn into_parts(self) -> (Engine, EngineHandle, Held) {
        (self.engine, self.handle, self.held)
    }
}
