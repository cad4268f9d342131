//! What a photo preview costs: decoding a phone photo (JPEG, 4000 × 3000), turning it
//! into a thumbnail and preparing it as half blocks and as sixel, as the inbox does on a
//! blocking thread. `cargo bench --bench preview` prints the figures
//! (docs/performance.md).

use std::io::Cursor;
use std::time::Instant;

use ratatui_image::picker::{Picker, ProtocolType};
use tresen::preview::{Photo, thumbnail};

fn phone_photo(w: u32, h: u32) -> Vec<u8> {
    // Noise-like detail, as a real photo has, so the decoder has work to do.
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let v = x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503);
        image::Rgb([(v >> 3) as u8, (v >> 11) as u8, ((x + y) / 31) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .expect("encoding a picture in memory");
    out
}

fn time<T>(what: &str, runs: u32, mut f: impl FnMut() -> T) {
    let _ = f();
    let start = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(f());
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
    println!("{what:<48} {ms:>8.1} ms");
}

fn main() {
    let jpeg = phone_photo(4000, 3000);
    println!(
        "phone photo: 4000 × 3000 JPEG, {:.1} MB",
        jpeg.len() as f64 / 1e6
    );
    time("decode + upright + thumbnail 480 × 240 px", 5, || {
        thumbnail(&jpeg, 480, 240).expect("decodes")
    });
    let halfblocks = Picker::halfblocks();
    time("… prepared as half blocks, 48 × 12 cells", 5, || {
        Photo::prepare(&halfblocks, &jpeg, 48, 12).expect("prepares")
    });
    let mut sixel = Picker::halfblocks();
    sixel.set_protocol_type(ProtocolType::Sixel);
    time("… prepared as sixel, 48 × 12 cells", 5, || {
        Photo::prepare(&sixel, &jpeg, 48, 12).expect("prepares")
    });
    let small = phone_photo(1600, 1200);
    time(
        "a WhatsApp-sized photo (1600 × 1200), half blocks",
        10,
        || Photo::prepare(&halfblocks, &small, 48, 12).expect("prepares"),
    );
}
