//! The photo preview decodes files strangers send (issue 19; the fuzz targets of issue
//! 20): valid JPEG, PNG and WebP files, mutated — bytes flipped, inserted, cut,
//! spliced, sizes in the headers blown up — and plain noise. Never a panic, never a
//! picture larger than asked for. Bounded to `TRESEN_FUZZ_SECS` (default 5 s); set it
//! higher for a long run. A crash found becomes a file in `tests/fixtures/photos/`,
//! which every run decodes first.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tresen::preview::{Photo, PhotoMode, thumbnail};

fn picture(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 128]))
}

fn goldens() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for format in [
        image::ImageFormat::Jpeg,
        image::ImageFormat::Png,
        image::ImageFormat::WebP,
    ] {
        for (w, h) in [(1, 1), (17, 9), (64, 48)] {
            let mut bytes = Vec::new();
            picture(w, h)
                .write_to(&mut Cursor::new(&mut bytes), format)
                .unwrap();
            out.push(bytes);
        }
    }
    out
}

fn mutate(rng: &mut StdRng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.random_range(1..6) {
        if v.is_empty() {
            v.push(rng.random());
        }
        let i = rng.random_range(0..v.len());
        match rng.random_range(0..7) {
            0 => v[i] ^= 1 << rng.random_range(0..8),
            1 => v[i] = rng.random(),
            2 => v.insert(i, rng.random()),
            3 => {
                let end = rng.random_range(i..=v.len().min(i + 64));
                v.drain(i..end);
            }
            4 => v.truncate(i),
            5 => {
                let other = &corpus[rng.random_range(0..corpus.len())];
                let j = rng.random_range(0..other.len());
                v.truncate(i);
                v.extend_from_slice(&other[j..]);
            }
            _ => {
                // Sizes and lengths: a 0xFF run where headers keep them.
                let end = (i + rng.random_range(1..5)).min(v.len());
                for b in &mut v[i..end] {
                    *b = 0xFF;
                }
            }
        }
    }
    v
}

/// One input: decoded into a box, or refused; anything else is a finding.
fn check(input: &[u8], picker: &ratatui_image::picker::Picker) -> Result<(), String> {
    let r = catch_unwind(AssertUnwindSafe(|| {
        if let Ok(t) = thumbnail(input, 96, 64)
            && (t.width() > 96 || t.height() > 64)
        {
            return Err(format!(
                "{}×{} is larger than the box",
                t.width(),
                t.height()
            ));
        }
        if let Ok(p) = Photo::prepare(picker, input, 20, 6)
            && (p.cols > 20 || p.rows > 6)
        {
            return Err(format!("{p:?} is larger than 20×6 cells"));
        }
        Ok(())
    }));
    r.unwrap_or_else(|_| Err("panicked".into()))
}

#[test]
fn strangers_photos_never_crash_the_preview() {
    let secs = std::env::var("TRESEN_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let picker = tresen::preview::picker(PhotoMode::Halfblocks).unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos");
    let mut findings = Vec::new();
    // Regression cases first.
    if let Ok(dir) = std::fs::read_dir(&fixtures) {
        for f in dir.flatten() {
            let bytes = std::fs::read(f.path()).unwrap();
            if let Err(e) = check(&bytes, &picker) {
                findings.push(format!("{}: {e}", f.path().display()));
            }
        }
    }
    let corpus = goldens();
    for g in &corpus {
        assert!(thumbnail(g, 96, 64).is_ok(), "a golden file must decode");
    }
    let mut rng = StdRng::seed_from_u64(
        std::env::var("TRESEN_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(19),
    );
    // Panics are caught and counted; their messages would only fill the output.
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    let mut cases = 0u64;
    let mut decoded = 0u64;
    while start.elapsed() < Duration::from_secs(secs) && findings.len() < 5 {
        let input = if rng.random_range(0..20) == 0 {
            (0..rng.random_range(0..600))
                .map(|_| rng.random())
                .collect()
        } else {
            let golden = &corpus[rng.random_range(0..corpus.len())];
            mutate(&mut rng, golden, &corpus)
        };
        if thumbnail(&input, 1, 1).is_ok() {
            decoded += 1;
        }
        if let Err(e) = check(&input, &picker) {
            let _ = std::fs::create_dir_all(&fixtures);
            let path = fixtures.join(format!("crash-{cases}.bin"));
            let _ = std::fs::write(&path, &input);
            findings.push(format!("{}: {e}", path.display()));
        }
        cases += 1;
    }
    let _ = std::panic::take_hook();
    println!(
        "photo preview fuzz: {cases} inputs in {:.1} s, {decoded} still decoded",
        start.elapsed().as_secs_f64()
    );
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(cases > 100, "only {cases} inputs");
}
