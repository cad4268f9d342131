//! A local RFC 3161 timestamp authority on 127.0.0.1: a CA and a TSA certificate made
//! for the test, and OpenSSL's own `openssl ts -reply` answering each HTTP request —
//! the real component, not a stand-in. tests/run.sh installs openssl. `Garbage` answers
//! every request with an HTML page instead, as a misconfigured proxy would.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Good,
    Garbage,
}

pub struct LocalTsa {
    pub url: String,
    /// The CA certificate that `openssl ts -verify -CAfile` needs.
    pub ca: PathBuf,
    dir: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("no openssl: apt-get install openssl (tests/run.sh does)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl LocalTsa {
    /// Makes the keys and certificates in `dir` and serves until the test ends.
    pub fn start(dir: &Path, mode: Mode) -> LocalTsa {
        let dir = dir.join("tsa");
        std::fs::create_dir_all(&dir).unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        openssl(
            &dir,
            &[
                &["req", "-x509"][..],
                &ec[..],
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.crt",
                    "-subj",
                    "/CN=tresen test CA",
                    "-days",
                    "2",
                ][..],
            ]
            .concat(),
        );
        openssl(
            &dir,
            &[
                &["req", "-new"][..],
                &ec[..],
                &[
                    "-keyout",
                    "tsa.key",
                    "-out",
                    "tsa.csr",
                    "-subj",
                    "/CN=tresen test TSA",
                ][..],
            ]
            .concat(),
        );
        std::fs::write(
            dir.join("ext.cnf"),
            "extendedKeyUsage = critical,timeStamping\n",
        )
        .unwrap();
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "tsa.crt",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        );
        std::fs::write(dir.join("serial"), "01\n").unwrap();
        std::fs::write(
            dir.join("tsa.cnf"),
            format!(
                "[ tsa ]\ndefault_tsa = test_tsa\n[ test_tsa ]\ndir = {}\nserial = $dir/serial\n\
                 crypto_device = builtin\nsigner_cert = $dir/tsa.crt\ncerts = $dir/ca.crt\n\
                 signer_key = $dir/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n\
                 digests = sha256\naccuracy = secs:1\nordering = yes\ntsa_name = yes\n\
                 ess_cert_id_chain = no\ness_cert_id_alg = sha256\n",
                dir.display()
            ),
        )
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/tsa", listener.local_addr().unwrap());
        let serve_dir = dir.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                answer(conn, &serve_dir, mode);
            }
        });
        LocalTsa {
            url,
            ca: dir.join("ca.crt"),
            dir,
        }
    }

    /// `openssl ts -verify` of a reply against the data it stamps: Ok, or why not.
    pub fn verify(&self, data: &Path, reply: &Path) -> Result<(), String> {
        let out = Command::new("openssl")
            .args(["ts", "-verify", "-data"])
            .arg(data)
            .arg("-in")
            .arg(reply)
            .arg("-CAfile")
            .arg(&self.ca)
            .arg("-untrusted")
            .arg(self.dir.join("tsa.crt"))
            .output()
            .unwrap();
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

/// One HTTP request, one answer.
fn answer(mut conn: TcpStream, dir: &Path, mode: Mode) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let body = loop {
        let Ok(n) = conn.read(&mut buf) else { return };
        if n == 0 {
            return;
        }
        raw.extend_from_slice(&buf[..n]);
        let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if raw.len() >= end + 4 + length {
            break raw[end + 4..end + 4 + length].to_vec();
        }
    };
    let reply = match mode {
        Mode::Garbage => b"<html><body>Proxy error</body></html>".to_vec(),
        Mode::Good => {
            let q = dir.join(format!("q-{}.tsq", std::process::id()));
            let r = dir.join(format!("r-{}.tsr", std::process::id()));
            std::fs::write(&q, &body).unwrap();
            openssl(
                dir,
                &[
                    "ts",
                    "-reply",
                    "-config",
                    "tsa.cnf",
                    "-queryfile",
                    q.to_str().unwrap(),
                    "-out",
                    r.to_str().unwrap(),
                ],
            );
            std::fs::read(&r).unwrap()
        }
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.len()
    );
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(&reply);
}
