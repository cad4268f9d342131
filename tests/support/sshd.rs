//! A real OpenSSH server on 127.0.0.1 for the test's own OS user, with host and user
//! keys made for the test: a remote desk as an office has one, `ssh buero-pc tresen`.
//! tests/run.sh installs openssh-server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Sshd {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Sshd {
    /// Starts sshd with its files in `dir`.
    pub fn start(dir: &Path) -> Sshd {
        let sshd = ["/usr/sbin/sshd", "/usr/local/sbin/sshd"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("no sshd: apt-get install openssh-server (tests/run.sh does)");
        let dir = dir.join("ssh");
        std::fs::create_dir_all(&dir).unwrap();
        for key in ["host", "user"] {
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(dir.join(key))
                .status()
                .unwrap();
            assert!(ok.success(), "ssh-keygen failed");
        }
        std::fs::copy(dir.join("user.pub"), dir.join("authorized_keys")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\nAuthorizedKeysFile {d}/authorized_keys\n\
                 PidFile {d}/sshd.pid\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
                d = dir.display()
            ),
        )
        .unwrap();
        // Its privilege separation directory (as root; a user's own sshd does without).
        let _ = std::fs::create_dir_all("/run/sshd");
        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let s = Sshd { child, dir, port };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "sshd did not come up: {}",
                std::fs::read_to_string(s.dir.join("sshd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    /// The ssh command line that runs `remote` (a shell command line) on this server;
    /// `tty`: with a terminal, as for the inbox.
    pub fn command_line(&self, tty: bool, remote: &str) -> String {
        format!(
            "ssh {} -p {} -i {}/user -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
             -o BatchMode=yes -o LogLevel=ERROR 127.0.0.1 {}",
            if tty { "-tt" } else { "-T" },
            self.port,
            self.dir.display(),
            shell_quote(remote)
        )
    }

    /// Runs `remote` over ssh and waits for it.
    pub fn run(&self, remote: &str) -> Output {
        Command::new("sh")
            .args(["-c", &self.command_line(false, remote)])
            .output()
            .unwrap()
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
