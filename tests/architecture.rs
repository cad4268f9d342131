//! Keeps the layering honest: the pure layers never reach for IO or SDK types.

use std::path::Path;

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
    sources(&root, &mut files);
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
