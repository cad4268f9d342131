//! The retention archive through the binary: capture, verify and its tamper matrix,
//! torn tails, anchors, wrong key, disk full, rebuild, transcripts (R-B1…R-B4).

mod support;

use std::path::{Path, PathBuf};

use support::daemon::Daemon;
use support::*;

/// A profile whose archive holds three segments (two sealed) of real records.
fn built() -> Profile {
    let p = Profile::with_demo_account();
    let out = p.run(&["sync", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for round in 0..3 {
        for i in 0..2 {
            let out = p.run(&["send", "1", &format!("Antwort {round}.{i}")]);
            assert!(out.status.success(), "{}", stderr(&out));
        }
        if round < 2 {
            let out = p.run(&["archive", "seal"]);
            assert!(out.status.success(), "{}", stderr(&out));
        }
    }
    p
}

fn archive_dir(p: &Profile) -> PathBuf {
    p.data.join("archive")
}

fn copy(p: &Profile) -> Profile {
    let q = Profile::with_demo_account();
    let status = std::process::Command::new("cp")
        .args(["-a"])
        .arg(&p.data)
        .arg(&q.data)
        .status()
        .unwrap();
    assert!(status.success());
    q
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn seq_of(line: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["seq"].as_u64().unwrap()
}

fn verify_json(p: &Profile, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["archive", "verify", "--json"];
    args.extend_from_slice(extra);
    let out = p.run(&args);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} / {}", stdout(&out), stderr(&out)));
    (out.status.code(), v)
}

fn assert_bad(p: &Profile, code: &str, seq: u64, extra: &[&str]) {
    let (rc, v) = verify_json(p, extra);
    assert_eq!(rc, Some(1), "{v}");
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["problem"]["code"], code, "{v}");
    assert_eq!(v["problem"]["seq"], seq, "{v}");
}

// R-B2, R-B4: a clean archive verifies, and every kind of tampering is found at the
// right record.
#[test]
fn verify_finds_every_kind_of_tampering_at_its_position() {
    let base = built();
    let (rc, v) = verify_json(&base, &[]);
    assert_eq!(rc, Some(0), "{v}");
    assert_eq!(v["sealed"], 2, "{v}");
    assert_eq!(v["segments"], 3, "{v}");
    let total = v["records"].as_u64().unwrap();
    assert!(total >= 12, "{v}");
    assert_eq!(
        v["checked"], total,
        "every record decrypted and matched: {v}"
    );
    let text = stdout(&base.run(&["archive", "verify"]));
    assert!(text.contains("archive intact"), "{text}");

    let seg1 = |p: &Profile| archive_dir(p).join("seg-000001.jsonl");
    let seg3 = |p: &Profile| archive_dir(p).join("seg-000003.jsonl");

    // A flipped byte in the encrypted content (base64 stays valid).
    let p = copy(&base);
    let mut l = lines(&seg1(&p));
    let target = seq_of(&l[2]);
    let at = l[2].find("\"ct\":\"").unwrap() + 10;
    let mut bytes = l[2].clone().into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    l[2] = String::from_utf8(bytes).unwrap();
    write_lines(&seg1(&p), &l);
    assert_bad(&p, "content_mismatch", target, &[]);
    // compliance check says it cannot count the records, and still reports the rest.
    let v = compliance(&p);
    let f = finding(&v, "archive_records");
    assert_eq!(f["level"], "required", "{v}");
    assert!(
        f["message"].as_str().unwrap().contains("archive verify"),
        "{v}"
    );
    assert_eq!(finding(&v, "company")["id"], "company");

    // A flipped byte in the authentication tag only (the content still decrypts to what
    // the chain promises). A sealed segment's records are read by the key stream alone,
    // so there the segment's file hash must catch it; in the open one the tag is checked.
    let flip_tag = |line: &str| {
        let end = line.find("\",\"h\":\"").unwrap();
        let mut bytes = line.as_bytes().to_vec();
        let at = end - 6;
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    let p = copy(&base);
    let mut l = lines(&seg1(&p));
    l[2] = flip_tag(&l[2]);
    write_lines(&seg1(&p), &l);
    assert_bad(&p, "file_mismatch", seq_of(&l[0]), &[]);
    let p = copy(&base);
    let mut l = lines(&seg3(&p));
    let target = seq_of(&l[1]);
    l[1] = flip_tag(&l[1]);
    write_lines(&seg3(&p), &l);
    assert_bad(&p, "content_mismatch", target, &[]);

    // A changed header field (the archiving time).
    let p = copy(&base);
    let mut l = lines(&seg3(&p));
    let target = seq_of(&l[1]);
    l[1] = l[1].replacen("\"ts\":1", "\"ts\":2", 1);
    write_lines(&seg3(&p), &l);
    assert_bad(&p, "hash_mismatch", target, &[]);

    // A deleted record.
    let p = copy(&base);
    let mut l = lines(&seg3(&p));
    let target = seq_of(&l[1]);
    l.remove(1);
    write_lines(&seg3(&p), &l);
    assert_bad(&p, "chain_break", target, &[]);

    // Two records swapped.
    let p = copy(&base);
    let mut l = lines(&seg3(&p));
    let target = seq_of(&l[0]);
    l.swap(0, 1);
    write_lines(&seg3(&p), &l);
    assert_bad(&p, "chain_break", target, &[]);

    // The open segment cut short at a record boundary: HEAD knows better.
    let p = copy(&base);
    let mut l = lines(&seg3(&p));
    let target = seq_of(&l[l.len() - 2]);
    l.truncate(l.len() - 2);
    write_lines(&seg3(&p), &l);
    assert_bad(&p, "truncated", target, &[]);

    // A sealed segment cut short: its manifest knows better.
    let p = copy(&base);
    let mut l = lines(&seg1(&p));
    let target = seq_of(l.last().unwrap());
    l.pop();
    write_lines(&seg1(&p), &l);
    assert_bad(&p, "truncated", target, &[]);

    // A manifest replaced by an edited one (its signature no longer fits).
    let p = copy(&base);
    let m = archive_dir(&p).join("seg-000002.manifest");
    let text = std::fs::read_to_string(&m).unwrap();
    let first: u64 = serde_json::from_str::<serde_json::Value>(text.lines().next().unwrap())
        .unwrap()["first_seq"]
        .as_u64()
        .unwrap();
    std::fs::write(&m, text.replacen("\"count\":", "\"count\":1", 1)).unwrap();
    assert_bad(&p, "manifest_signature", first, &[]);
}

// R-B3: a consistent rewrite of the tail (records dropped, HEAD removed) passes the
// chain alone, and is caught against the off-box anchor.
#[test]
fn anchors_catch_what_the_chain_alone_cannot() {
    let p = built();
    let anchors = p.dir.path().join("offbox");
    let out = p.run(&["archive", "anchor", "--out", anchors.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("anchored record"), "{}", stdout(&out));
    let names: Vec<String> = std::fs::read_dir(&anchors)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("checkpoint-")),
        "{names:?}"
    );
    assert_eq!(names.iter().filter(|n| n.ends_with(".manifest")).count(), 2);
    let a = anchors.to_str().unwrap();
    let (rc, v) = verify_json(&p, &["--anchors", a]);
    assert_eq!(rc, Some(0), "{v}");
    assert!(v["anchors_checked"].as_u64().unwrap() >= 3, "{v}");

    let seg3 = archive_dir(&p).join("seg-000003.jsonl");
    let mut l = lines(&seg3);
    let cut = seq_of(&l[l.len() - 1]);
    l.pop();
    write_lines(&seg3, &l);
    std::fs::remove_file(archive_dir(&p).join("HEAD")).unwrap();
    let (rc, v) = verify_json(&p, &[]);
    assert_eq!(rc, Some(0), "the chain alone cannot see this: {v}");
    assert_bad(&p, "anchor_mismatch", cut, &["--anchors", a]);
}

// Power-loss shape: half a record at the end is found when the profile opens, set
// aside (not deleted), noted in the archive, and nothing before it is lost.
#[test]
fn a_torn_tail_is_set_aside_and_the_archive_continues() {
    let p = built();
    let seg3 = archive_dir(&p).join("seg-000003.jsonl");
    let before = lines(&seg3);
    let mut text = std::fs::read_to_string(&seg3).unwrap();
    let half = &before[0][..before[0].len() / 2];
    text.push_str(half);
    std::fs::write(&seg3, &text).unwrap();
    let (rc, v) = verify_json(&p, &[]);
    assert_eq!(rc, Some(1), "{v}");
    assert_eq!(v["problem"]["code"], "torn_tail", "{v}");

    let out = p.run(&["send", "1", "nach dem Stromausfall"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("incomplete record"),
        "reported: {}",
        stderr(&out)
    );
    let q = std::fs::read_dir(archive_dir(&p).join("quarantine"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(std::fs::read_to_string(q).unwrap(), half);
    let after = lines(&seg3);
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "nothing before it changed"
    );
    assert!(after.iter().any(|l| l.contains("\"kind\":\"recovery\"")));
    let (rc, v) = verify_json(&p, &[]);
    assert_eq!(rc, Some(0), "{v}");
}

// A profile opened before anything was archived (the first login, a sync with no
// accounts) must open again: an empty archive is not a lost key table.
#[test]
fn a_new_empty_archive_opens_again() {
    let p = Profile::new("");
    for _ in 0..2 {
        let out = p.run(&["sync", "--once"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let (rc, v) = verify_json(&p, &[]);
    assert_eq!(rc, Some(0), "{v}");
    assert_eq!(v["records"], 0, "{v}");
}

#[test]
fn the_wrong_key_is_a_clear_error_with_no_output() {
    let p = built();
    std::fs::write(p.dir.path().join("pass"), "a different passphrase\n").unwrap();
    for args in [
        &["archive", "verify"][..],
        &["export", "conversation", "1"][..],
    ] {
        let out = p.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "no partial output: {}", stdout(&out));
        assert!(!stderr(&out).is_empty());
    }
}

// R-B1: what was archived is the source of truth; the inbox store comes back from it.
#[test]
fn the_store_is_rebuilt_from_the_archive() {
    let p = built();
    let before: serde_json::Value =
        serde_json::from_slice(&p.run(&["show", "1", "--json"]).stdout).unwrap();
    let out = p.run(&["store", "rebuild", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("old store kept as"),
        "{}",
        stdout(&out)
    );
    let after: serde_json::Value =
        serde_json::from_slice(&p.run(&["show", "1", "--json"]).stdout).unwrap();
    let bodies = |v: &serde_json::Value| {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["body"].clone(),
                    m["direction"].clone(),
                    m["delivery"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(bodies(&before), bodies(&after));
    // Two from the customer, the first-contact notice tresen answered them with (R-C8),
    // and the six replies.
    assert_eq!(bodies(&after).len(), 9, "{:?}", bodies(&after));
    let notices = bodies(&after)
        .iter()
        .filter(|(b, _, _)| {
            b.as_str()
                .is_some_and(|b| b.contains("Antwort DATENSCHUTZ"))
        })
        .count();
    assert_eq!(notices, 1);
    // Nothing was archived twice by the rebuild, and a sync after it adds nothing.
    let out = p.run(&["sync", "--once"]);
    assert!(stdout(&out).contains("0 new messages"), "{}", stdout(&out));
    let (rc, v) = verify_json(&p, &[]);
    assert_eq!(rc, Some(0), "{v}");
}

#[test]
fn transcripts_come_from_the_archive_and_are_sanitised() {
    let p = built();
    let out = p.run(&["send", "1", "<script>alert(1)</script> \u{1b}[2J Grüße"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = stdout(&p.run(&["export", "conversation", "1", "--format", "html"]));
    assert!(html.contains("Guten Tag, die Heizung ist kalt."), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script>") && !html.contains('\u{1b}'));
    let txt = stdout(&p.run(&["export", "conversation", "1", "--format", "txt"]));
    assert!(
        txt.contains("Antwort 2.1") && txt.contains("Grüße"),
        "{txt}"
    );
    assert!(!txt.contains('\u{1b}'));
    // R-D3: with the profile to itself its owner reads who sent what, and each such
    // reading is archived.
    assert_eq!(archived_kind(&p, "access"), 2);
    let file = p.dir.path().join("verlauf.html");
    let out = p.run(&[
        "export",
        "conversation",
        "1",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Never over an existing file.
    let again = p.run(&[
        "export",
        "conversation",
        "1",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
}

// Disk full: the send is refused with a clear reason, never leaves the house
// unarchived, and the archive stays intact. Runs in a user+mount namespace with a tiny
// tmpfs under the archive.
#[test]
fn a_full_disk_refuses_the_send_and_corrupts_nothing() {
    let p = built();
    let probe = std::process::Command::new("unshare")
        .args(["-rm", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: unshare -rm (user and mount namespaces) is not available here");
        return;
    }
    let arch = archive_dir(&p);
    let big = p.dir.path().join("gross.bin");
    std::fs::write(&big, vec![7u8; 300_000]).unwrap();
    let bin = env!("CARGO_BIN_EXE_tresen");
    // Copy the archive onto a 256 KiB tmpfs, try to send a 300 kB file, then verify —
    // all inside the namespace, since the tmpfs ends with it.
    let script = format!(
        r#"set -e
cp -a "{a}" /tmp/arch-copy-$$
mount -t tmpfs -o size=256k tmpfs "{a}"
cp -a /tmp/arch-copy-$$/. "{a}/"
rm -rf /tmp/arch-copy-$$
set +e
"{bin}" send 1 "Angebot anbei" --attach "{big}"; echo "send-rc=$?"
"{bin}" archive verify; echo "verify-rc=$?"
"{bin}" show 1 --json > "{out}"
"#,
        a = arch.display(),
        big = big.display(),
        out = p.dir.path().join("show.json").display()
    );
    let out = p
        .cmd()
        .env_remove("TRESEN_LOG")
        .args(["--version"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .env("TRESEN_CONFIG", &p.config)
        .env("TRESEN_DATA_DIR", &p.data)
        .env("LANG", "C")
        .output()
        .unwrap();
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("send-rc=2"), "{said}");
    assert!(said.contains("the archive cannot be written"), "{said}");
    assert!(said.contains("No space left on device"), "{said}");
    assert!(
        said.contains("archive intact") && said.contains("verify-rc=0"),
        "{said}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.dir.path().join("show.json")).unwrap()).unwrap();
    let last = v["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["delivery"], "failed", "{last}");
    assert!(
        last["failure"].as_str().unwrap().contains("not archived"),
        "{last}"
    );
}

// Verify runs beside a running tresen (the daemon owns the profile and writes).
#[test]
fn verify_runs_beside_a_running_daemon() {
    let p = built();
    let mut daemon = p
        .cmd()
        .arg("daemon")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (rc, v) = verify_json(&p, &[]);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status();
    let _ = daemon.wait();
    assert_eq!(rc, Some(0), "{v}");
    assert_eq!(v["ok"], true, "{v}");
}

// Disk full while messages come in: the daemon holds them, says why, and once there is
// space again archives and stores all of it — the conversation's name included.
#[test]
fn a_full_disk_holds_incoming_messages_until_there_is_space() {
    let p = Profile::with_demo_account();
    let probe = std::process::Command::new("unshare")
        .args(["-rm", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: unshare -rm (user and mount namespaces) is not available here");
        return;
    }
    // Create the profile (and its empty archive) first.
    let out = p.run(&["archive", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let arch = archive_dir(&p);
    let bin = env!("CARGO_BIN_EXE_tresen");
    let script = format!(
        r#"set -e
cp -a "{a}" /tmp/arch-copy-$$
mount -t tmpfs -o size=64k tmpfs "{a}"
cp -a /tmp/arch-copy-$$/. "{a}/"
rm -rf /tmp/arch-copy-$$
dd if=/dev/zero of="{a}/filler" bs=4k 2>/dev/null || true
set +e
"{bin}" sync --once; echo "sync-rc=$?"
"{bin}" daemon 2>/dev/null & pid=$!
sleep 3
rm "{a}/filler"
sleep 5
kill -TERM $pid; wait $pid
"{bin}" export conversation 1 --format txt; echo "export-rc=$?"
"{bin}" archive verify; echo "verify-rc=$?"
"#,
        a = arch.display(),
    );
    let out = std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .env("TRESEN_CONFIG", &p.config)
        .env("TRESEN_DATA_DIR", &p.data)
        .env("LANG", "C")
        .output()
        .unwrap();
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("sync-rc=1"), "{said}");
    assert!(said.contains("archive cannot be written"), "{said}");
    assert!(said.contains("export-rc=0"), "{said}");
    assert!(
        said.contains("Transcript: Erika Mustermann"),
        "the conversation's name was archived after the retry: {said}"
    );
    assert!(
        said.contains("Heizung ist kalt") && said.contains("F.28"),
        "{said}"
    );
    assert!(
        said.contains("archive intact") && said.contains("verify-rc=0"),
        "{said}"
    );
}

fn compliance(p: &Profile) -> serde_json::Value {
    let out = p.run(&["compliance", "check", "--json"]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)))
}

/// R-B3, R-B4, R-B12, R-F2: the daemon verifies and anchors on its own, each outcome an
/// archive record; `compliance check` says how recent each check is; a restore drill
/// checks a backup copy end to end, and a copy of another archive or a tampered one
/// fails.
#[test]
fn r_b3_r_b4_r_b12_the_archive_checks_itself_and_compliance_check_says_how_recently() {
    let p = built();
    // A new archive: the checks are not overdue yet, and say by when they are due.
    let v = compliance(&p);
    for id in ["archive_verify", "archive_anchor", "restore_test"] {
        assert_eq!(finding(&v, id)["level"], "warning", "{id}: {v}");
        assert!(
            finding(&v, id)["message"]
                .as_str()
                .unwrap()
                .contains("due by"),
            "{v}"
        );
    }
    assert!(
        finding(&v, "archive_anchor")["message"]
            .as_str()
            .unwrap()
            .contains("no [archive] anchor_dir"),
        "{v}"
    );

    // With a place for anchors, the daemon verifies and anchors at its start.
    let anchors = p.dir.path().join("anker");
    let mut config = std::fs::read_to_string(&p.config).unwrap();
    config.push_str(&format!(
        "\n[archive]\nanchor_dir = \"{}\"\n",
        anchors.display()
    ));
    std::fs::write(&p.config, config).unwrap();
    let mut d = Daemon::start(&p);
    let start = std::time::Instant::now();
    let v = loop {
        let v = compliance(&p);
        if finding(&v, "archive_anchor")["level"] == "ok" {
            break v;
        }
        assert!(start.elapsed().as_secs() < 60, "never anchored: {v}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(finding(&v, "archive_verify")["level"], "ok", "{v}");
    assert!(
        finding(&v, "archive_verify")["message"]
            .as_str()
            .unwrap()
            .contains("0 day(s) ago"),
        "{v}"
    );
    assert!(
        std::fs::read_dir(&anchors)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("checkpoint-")),
        "a checkpoint in {}",
        anchors.display()
    );

    // The restore drill: a backup copy of the data directory passes …
    let backup = p.dir.path().join("sicherung");
    let status = std::process::Command::new("cp")
        .args(["-a"])
        .arg(&p.data)
        .arg(&backup)
        .status()
        .unwrap();
    assert!(status.success());
    let out = p.run(&["archive", "restore-test", backup.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("restore drill passed"),
        "{}",
        stdout(&out)
    );
    assert_eq!(finding(&compliance(&p), "restore_test")["level"], "ok");
    // A mistyped path is bad input: refused, and no failed drill on record.
    let out = p.run(&["archive", "restore-test", "/nonexistent/sicherung"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no archive in it"),
        "{}",
        stderr(&out)
    );
    assert_eq!(finding(&compliance(&p), "restore_test")["level"], "ok");
    // … a copy of another profile's archive does not …
    let other = built();
    let out = p.run(&["archive", "restore-test", other.data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("restore drill FAILED"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("another key"), "{}", stdout(&out));
    // … nor an older copy of this archive that was rewritten since (its newest record
    // differs from the live one) …
    let rewritten = p.dir.path().join("umgeschrieben");
    let status = std::process::Command::new("cp")
        .args(["-a"])
        .arg(&backup)
        .arg(&rewritten)
        .status()
        .unwrap();
    assert!(status.success());
    let _ = std::fs::remove_file(rewritten.join("tresen.sock"));
    let out = p
        .cmd()
        .env("TRESEN_DATA_DIR", &rewritten)
        .args(["send", "1", "Nur in der Kopie"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = p.run(&["send", "1", "Nur im Archiv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = p.run(&["archive", "restore-test", rewritten.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("is not the live archive's record"),
        "{}",
        stdout(&out)
    );
    // … nor a copy with one record changed; the failure is what compliance check shows.
    let seg = backup.join("archive/seg-000001.jsonl");
    let mut ls = lines(&seg);
    ls[1] = ls[1].replacen("\"ts\":", "\"ts\":1", 1);
    write_lines(&seg, &ls);
    let out = p.run(&[
        "archive",
        "restore-test",
        backup.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["check"], "restore_test", "{r}");
    let v = compliance(&p);
    assert_eq!(finding(&v, "restore_test")["level"], "required", "{v}");
    assert!(
        finding(&v, "restore_test")["message"]
            .as_str()
            .unwrap()
            .contains("the last restore test failed"),
        "{v}"
    );
    d.signal("-TERM");
    d.wait();
    // Every outcome is in the archive, which still verifies.
    let (rc, v) = verify_json(&p, &["--anchors", anchors.to_str().unwrap()]);
    assert_eq!(rc, Some(0), "{v}");
    assert_eq!(
        archived_kind(&p, "integrity"),
        6,
        "verify, anchor, four drills"
    );
}

/// The `[archive]` section with anchors in `anchors` and timestamps from `tsa`.
fn with_tsa(p: &Profile, anchors: &std::path::Path, tsa: &str) {
    let mut config = std::fs::read_to_string(&p.config).unwrap();
    config.push_str(&format!(
        "\n[archive]\nanchor_dir = \"{}\"\ntsa_url = \"{tsa}\"\n",
        anchors.display()
    ));
    std::fs::write(&p.config, config).unwrap();
}

/// Waits until `compliance check` has a verdict on the timestamp other than "none yet".
fn timestamp_finding(p: &Profile) -> serde_json::Value {
    let start = std::time::Instant::now();
    loop {
        let v = compliance(p);
        let f = finding(&v, "archive_timestamp").clone();
        if !f["message"]
            .as_str()
            .unwrap()
            .contains("no timestamp on record")
        {
            return f;
        }
        assert!(start.elapsed().as_secs() < 60, "never timestamped: {v}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// R-B3: with `[archive] tsa_url`, the daemon has each anchor's checkpoint timestamped by
/// an RFC 3161 authority (OpenSSL's own `openssl ts`), keeps the reply beside it and in
/// the archive, and OpenSSL verifies it against the checkpoint and the TSA's CA; a TSA
/// that answers garbage or cannot be reached is a failed record and a finding, and the
/// anchor is written all the same.
#[test]
fn r_b3_anchors_are_timestamped_by_an_rfc_3161_authority() {
    use support::tsa::{LocalTsa, Mode};
    let p = built();
    let tsa = LocalTsa::start(p.dir.path(), Mode::Good);
    let anchors = p.dir.path().join("anker");
    with_tsa(&p, &anchors, &tsa.url);
    let mut d = Daemon::start(&p);
    let f = timestamp_finding(&p);
    assert_eq!(f["level"], "ok", "{f}");
    assert!(f["message"].as_str().unwrap().contains(&tsa.url), "{f}");
    d.signal("-TERM");
    d.wait();
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(&anchors)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    let reply = files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "tsr"))
        .unwrap_or_else(|| panic!("no .tsr in {files:?}"));
    let checkpoint = reply.with_extension("json");
    assert!(checkpoint.exists(), "{files:?}");
    tsa.verify(&checkpoint, reply)
        .unwrap_or_else(|e| panic!("openssl rejects the timestamp: {e}"));
    // The token is for this checkpoint and no other.
    let other = files
        .iter()
        .find(|f| f.file_name().unwrap().to_string_lossy().starts_with("seg-"))
        .unwrap_or_else(|| panic!("no manifest in {files:?}"));
    assert!(tsa.verify(other, reply).is_err());
    // The archive holds the reply too (verify, anchor, timestamp), and still verifies.
    assert_eq!(archived_kind(&p, "integrity"), 3);
    let (rc, v) = verify_json(&p, &["--anchors", anchors.to_str().unwrap()]);
    assert_eq!(rc, Some(0), "{v}");
    assert!(v.to_string().contains("timestamped"), "{v}");
    // A reply that certifies another hash fails the anchor check.
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(std::fs::read(&checkpoint).unwrap());
    let mut bytes = std::fs::read(reply).unwrap();
    let at = bytes
        .windows(32)
        .position(|w| w == digest.as_slice())
        .expect("the reply carries the checkpoint's hash");
    bytes[at] ^= 1;
    std::fs::write(reply, bytes).unwrap();
    let out = p.run(&["archive", "verify", "--anchors", anchors.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        format!("{}{}", stdout(&out), stderr(&out)).contains("does not cover its checkpoint"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // A TSA that answers an HTML page, and one that is not there at all.
    for (url, says) in [
        (
            LocalTsa::start(&p.dir.path().join("kaputt"), Mode::Garbage).url,
            "not an RFC 3161 reply",
        ),
        ("http://127.0.0.1:9/tsa".to_string(), "unreachable"),
    ] {
        let q = built();
        let anchors = q.dir.path().join("anker");
        with_tsa(&q, &anchors, &url);
        let mut d = Daemon::start(&q);
        let f = timestamp_finding(&q);
        d.signal("-TERM");
        d.wait();
        assert_eq!(f["level"], "required", "{f}");
        assert!(f["message"].as_str().unwrap().contains(says), "{f}");
        assert_eq!(finding(&compliance(&q), "archive_anchor")["level"], "ok");
        let names: Vec<String> = std::fs::read_dir(&anchors)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("checkpoint-")),
            "{names:?}"
        );
        assert!(!names.iter().any(|n| n.ends_with(".tsr")), "{names:?}");
        let (rc, v) = verify_json(&q, &[]);
        assert_eq!(rc, Some(0), "{v}");
    }
}
