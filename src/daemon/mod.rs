//! The daemon serves the engine to seats (docs/daemon.md): it listens on a Unix socket
//! (`socket`), knows each connection's OS user from the kernel (`SO_PEERCRED`) and the
//! staff member and role that login maps to, and answers the protocol of
//! `crate::protocol` (`server`). It is the only holder of the store key: seats ask it,
//! they never open the store.

pub mod integrity;
pub mod server;
pub mod socket;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::app::i18n::Lang;
use crate::compliance::staff::{Identity, StaffConfig, identify};
use crate::engine::EngineHandle;

/// What every connection of the daemon shares.
pub struct Daemon {
    pub engine: EngineHandle,
    /// `[[staff]]`: replaced on SIGHUP.
    staff: RwLock<Vec<StaffConfig>>,
    /// The daemon's own login and staff name (the one-person firm without `[[staff]]`).
    own: (String, String),
    started: Instant,
    socket: std::path::PathBuf,
    seats: AtomicUsize,
    /// The next seat's number (0 is the engine's own TUI).
    next_seat: std::sync::atomic::AtomicU64,
    pub lang: Lang,
    /// What the lifecycle commands need of the config.
    pub office: Arc<crate::seat::books::Office>,
    /// `[hours]`, told to every seat in `hello`.
    pub hours: Option<crate::domain::hours::Hours>,
    /// The usage policy every seat accepts before its first session (`[policy]`).
    pub policy: Option<crate::compliance::policy::Policy>,
}

impl Daemon {
    pub fn new(
        engine: EngineHandle,
        config: &crate::config::Config,
        socket: std::path::PathBuf,
        profile: Option<crate::seat::books::OfficeProfile>,
    ) -> Arc<Daemon> {
        // Checked when the config loaded.
        let policy = config.policy.load().ok().flatten();
        if let (Some(p), Some(office)) = (&policy, &profile)
            && let Err(e) = crate::procdoc::bundle::keep_policy(&office.paths.data_dir, p)
        {
            tracing::warn!(error = %e, "cannot keep the usage policy's version for the docs bundle");
        }
        Arc::new(Daemon {
            engine,
            staff: RwLock::new(config.staff.clone()),
            own: (crate::config::os_login(), config.staff_name()),
            started: Instant::now(),
            socket,
            seats: AtomicUsize::new(0),
            next_seat: std::sync::atomic::AtomicU64::new(1),
            hours: config.hours.hours().ok().filter(|h| h.is_set()),
            policy,
            lang: config.language(),
            office: Arc::new(crate::seat::books::Office {
                config: config.clone(),
                // Checked when the profile opened; `None` only for a config that never did.
                compliance: config.compliance().ok(),
                profile,
            }),
        })
    }

    /// Who the OS user `uid` is at this firm; `Err` says why they may not attach.
    pub fn identify(&self, uid: u32) -> Result<Identity, String> {
        let login = crate::fsutil::login_of(uid).unwrap_or_else(|| format!("uid {uid}"));
        let staff = self.staff.read().map(|s| s.clone()).unwrap_or_default();
        identify(&staff, &login, &self.own.0, &self.own.1).ok_or_else(|| match self.lang {
            Lang::De if staff.is_empty() => format!(
                "Benutzer `{login}` darf diesen Dienst nicht nutzen: ohne [[staff]] in der Konfiguration nur `{}`. Tragen Sie die Mitarbeiter mit `login = \"…\"` unter [[staff]] ein.",
                self.own.0
            ),
            Lang::De => format!(
                "Benutzer `{login}` steht nicht unter [[staff]] (login = \"{login}\") in der Konfiguration des Dienstes; fragen Sie die Inhaberin oder den Inhaber."
            ),
            Lang::En if staff.is_empty() => format!(
                "user `{login}` may not use this daemon: without [[staff]] in the config only `{}` may. List staff with `login = \"…\"` under [[staff]].",
                self.own.0
            ),
            Lang::En => format!(
                "user `{login}` is not listed under [[staff]] (login = \"{login}\") in the daemon's config; ask the owner."
            ),
        })
    }

    /// Where `name` stands with the usage policy; `None` without one.
    pub fn policy_status(&self, name: &str) -> Option<crate::compliance::policy::PolicyStatus> {
        let policy = self.policy.clone()?;
        let accepted = self.office.profile.as_ref().and_then(|p| {
            let dir = crate::archive::Archive::dir_of(&p.paths.data_dir);
            crate::archive::read::policy_accepted(&dir, &p.key, name)
                .inspect_err(|e| tracing::warn!(error = %e, "cannot read policy acceptances"))
                .ok()
                .flatten()
        });
        Some(crate::compliance::policy::PolicyStatus { policy, accepted })
    }

    /// Takes the staff list of a reloaded configuration (SIGHUP).
    pub fn reload_staff(&self, staff: Vec<StaffConfig>) {
        if let Ok(mut s) = self.staff.write() {
            *s = staff;
        }
    }

    pub fn status(&self) -> crate::protocol::Status {
        crate::protocol::Status {
            pid: std::process::id(),
            socket: self.socket.display().to_string(),
            uptime_secs: self.started.elapsed().as_secs(),
            seats: self.seats.load(Ordering::Relaxed),
            accounts: self.engine.health(),
            archive_problem: self.engine.archive_problem(),
            archive_verified: self.office.profile.as_ref().and_then(|p| {
                crate::archive::checked::last(&crate::archive::Archive::dir_of(&p.paths.data_dir))
            }),
        }
    }

    /// Counts a seat while the guard lives, and gives it its number.
    fn seat(self: &Arc<Self>) -> SeatGuard {
        self.seats.fetch_add(1, Ordering::Relaxed);
        let id = self.next_seat.fetch_add(1, Ordering::Relaxed);
        SeatGuard(Arc::clone(self), id)
    }
}

/// An attached seat: when it goes, it is no longer counted nor shown as writing.
struct SeatGuard(Arc<Daemon>, u64);

impl SeatGuard {
    fn id(&self) -> u64 {
        self.1
    }
}

impl Drop for SeatGuard {
    fn drop(&mut self) {
        self.0.seats.fetch_sub(1, Ordering::Relaxed);
        self.0.engine.forget_seat(self.1);
    }
}

/// Tells systemd (`Type=notify`) that the daemon is ready, or reloading; nothing
/// without `$NOTIFY_SOCKET`.
pub fn sd_notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    let sent = match path.to_str().and_then(|p| p.strip_prefix('@')) {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt as _;
            std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .and_then(|addr| sock.send_to_addr(state.as_bytes(), &addr))
        }
        None => sock.send_to(state.as_bytes(), &path),
    };
    if let Err(e) = sent {
        tracing::warn!(error = %e, "sd_notify failed");
    }
}
