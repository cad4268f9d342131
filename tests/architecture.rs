//! Keeps the layering honest: the pure layers never reach for IO or SDK types.

use std::path::Path;

/// Every error sentence in the sources has its German form (issue 19).
#[path = "sources/german_errors.rs"]
mod german_errors;

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push((
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
}

fn check(layer: &str, forbidden: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(layer);
    let mut files = Vec::new();
    let single = root.with_extension("rs");
    if single.is_file() {
        files.push((
            single.display().to_string(),
            std::fs::read_to_string(&single).unwrap(),
        ));
    } else {
        sources(&root, &mut files);
    }
    assert!(!files.is_empty(), "{layer} has no sources");
    for (path, text) in files {
        for f in forbidden {
            assert!(!text.contains(f), "{path} uses {f}, which {layer} must not");
        }
    }
}

#[test]
fn domain_is_pure() {
    check(
        "domain",
        &[
            "rusqlite",
            "tokio",
            "std::fs",
            "std::net",
            "crossterm",
            "ratatui",
            "matrix_sdk",
            "crate::",
        ],
    );
}

#[test]
fn app_does_no_io() {
    check(
        "app",
        &[
            "rusqlite",
            "tokio::",
            "std::fs",
            "std::net",
            "std::process",
            "matrix_sdk",
            "ratatui",
            "crate::ui",
            "crate::tui",
            // The UI asks for local changes in its own vocabulary (`LocalChange`),
            // never for a store write.
            "crate::store",
        ],
    );
}

#[test]
fn ui_renders_from_state_only() {
    check(
        "ui",
        &[
            "rusqlite",
            "tokio",
            "std::fs",
            "std::net",
            "std::process",
            "crate::engine",
            "crate::store",
            "crate::tui",
        ],
    );
}

#[test]
fn connectors_speak_only_our_types() {
    check(
        "connector",
        &["rusqlite", "crate::store", "crate::ui", "crate::app"],
    );
}

#[test]
fn store_knows_nothing_of_ui_or_network() {
    check(
        "store",
        &[
            "tokio",
            "crossterm",
            "ratatui",
            "crate::engine",
            "crate::app",
            "crate::connector",
        ],
    );
}

/// Outer layers a lower layer must never reach for (issue 15: no import circles).
const ABOVE_THE_ENGINE: [&str; 6] = [
    "crate::cli",
    "crate::app",
    "crate::ui",
    "crate::tui",
    "crate::profile",
    "crate::demo",
];

#[test]
fn compliance_rules_are_pure() {
    let mut forbidden = vec![
        "rusqlite",
        "tokio",
        "std::fs",
        "std::net",
        "crate::store",
        "crate::archive",
        "crate::engine",
        "crate::ingest",
        "crate::connector",
    ];
    forbidden.extend(ABOVE_THE_ENGINE);
    check("compliance", &forbidden);
}

#[test]
fn the_archive_knows_nothing_of_engine_or_inbox_store() {
    let mut forbidden = vec![
        "crate::engine",
        "crate::ingest",
        "crate::store",
        "crate::connector",
    ];
    forbidden.extend(ABOVE_THE_ENGINE);
    check("archive", &forbidden);
}

#[test]
fn ingest_sits_below_the_engine() {
    let mut forbidden = vec!["crate::engine", "tokio"];
    forbidden.extend(ABOVE_THE_ENGINE);
    check("ingest", &forbidden);
}

#[test]
fn opening_a_profile_does_not_reach_for_the_binary_edge() {
    check(
        "profile",
        &[
            "crate::error",
            "crate::cli",
            "crate::app",
            "crate::ui",
            "crate::tui",
        ],
    );
}

/// Which top-level module (or which `cli` command module) a source file belongs to.
fn node_of(rel: &Path) -> Option<String> {
    let parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [one] if one == "lib" || one == "main" => None,
        [cli, sub, ..] if cli == "cli" && sub != "mod" => Some(format!("cli::{sub}")),
        [top, ..] => Some(top.clone()),
        [] => None,
    }
}

/// Issue 15: modules use each other in one direction only, so each can be read (and
/// changed) knowing only what lies beneath it. Checked for the top-level modules and for
/// the command modules of `cli`.
#[test]
fn no_module_imports_in_a_circle() {
    use std::collections::{BTreeMap, BTreeSet};
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &files {
        let Some(node) = node_of(Path::new(path).strip_prefix(&src).unwrap()) else {
            continue;
        };
        let mut rest = text.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            let target = if name == "cli" {
                let sub: String = rest["cli".len()..]
                    .strip_prefix("::")
                    .unwrap_or("")
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !sub.is_empty() && src.join("cli").join(format!("{sub}.rs")).exists() {
                    format!("cli::{sub}")
                } else {
                    "cli".to_string()
                }
            } else {
                name
            };
            if !target.is_empty() && target != node {
                edges.entry(node.clone()).or_default().insert(target);
            }
        }
    }
    // Depth-first search; a module met again on the current path closes a circle.
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut circle = path[i..].to_vec();
            circle.push(n.to_string());
            return Some(circle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for next in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in edges.keys() {
        if let Some(circle) = visit(n, &edges, &mut Vec::new(), &mut done) {
            panic!(
                "modules import each other in a circle: {}",
                circle.join(" → ")
            );
        }
    }
    assert!(edges.len() > 20, "the import graph was not read");
}

/// Use cases: they return what happened; printing and asking is the command line's job,
/// so the daemon can run them as they are.
#[test]
fn the_archive_lifecycle_is_no_command_line() {
    let mut forbidden = vec![
        "crate::engine",
        "crate::error",
        "anyhow",
        "outln!",
        "println!",
        "eprintln!",
        "std::io::stdin",
    ];
    forbidden.extend(ABOVE_THE_ENGINE);
    check("lifecycle", &forbidden);
    check("findings", &forbidden);
}

/// Issue 16: the daemon, its protocol and the seats speak to each other, never to a
/// terminal or the binary's edge — the TUI is one seat among others.
#[test]
fn the_daemon_and_its_seats_know_no_terminal() {
    let forbidden = [
        "crate::cli",
        "crate::ui",
        "crate::tui",
        "crate::error",
        "crate::profile",
        "anyhow",
        "println!",
        "outln!",
        "crossterm",
        "ratatui",
    ];
    check("protocol", &forbidden);
    check("seat", &forbidden);
    check("daemon", &forbidden);
}
