//! Photo previews in the conversation: a file a stranger sent, decoded within limits,
//! turned upright, reduced to its pixels and scaled down to a thumbnail, then prepared
//! for the terminal's graphics protocol (kitty, iTerm2, sixel, else half blocks).
//!
//! Only pixels reach the screen: EXIF with its GPS position, camera and time stays in
//! the original, which the attachment store and the archive keep unchanged (R-C9). No
//! preview is ever written to disk.

use std::io::Cursor;
use std::sync::Arc;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use ratatui::layout::Size;
use ratatui_image::Resize;
use ratatui_image::picker::Picker;
use ratatui_image::protocol::Protocol;

/// Larger files are not previewed (they still open with `Enter` in the list).
pub const MAX_FILE: usize = 40 * 1024 * 1024;
/// Neither side of a photo may claim more pixels than this; phones stay far below.
pub const MAX_SIDE: u32 = 12_000;
/// What decoding one photo may allocate: a 48-megapixel phone photo in RGB fits.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PreviewError {
    #[error("no photo preview for this file type")]
    Unsupported,
    #[error("the photo is too large for a preview")]
    TooLarge,
    #[error("the photo cannot be read: {0}")]
    Damaged(String),
    #[error("the terminal cannot show it: {0}")]
    Terminal(String),
}

/// Whether a file announced as `mime` gets a preview (what the bytes are decides later).
pub fn is_photo(mime: &str) -> bool {
    let mime = mime.to_ascii_lowercase();
    matches!(
        mime.split(';').next().unwrap_or("").trim(),
        "image/jpeg" | "image/jpg" | "image/png" | "image/webp"
    )
}

/// The photo in `bytes`, upright and no larger than `max_w` × `max_h` pixels, as bare
/// pixels. The type comes from the content, never from the name or the sender's mime.
pub fn thumbnail(bytes: &[u8], max_w: u32, max_h: u32) -> Result<DynamicImage, PreviewError> {
    if bytes.len() > MAX_FILE {
        return Err(PreviewError::TooLarge);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PreviewError::Damaged(e.to_string()))?;
    if !matches!(
        reader.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)
    ) {
        return Err(PreviewError::Unsupported);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    // Phones store photos sideways and say so in EXIF; what staff see must be upright.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    if let Some(o) = orientation {
        image.apply_orientation(o);
    }
    // Never larger than it is: a small picture stays sharp.
    if image.width() > max_w || image.height() > max_h {
        image = image.thumbnail(max_w.max(1), max_h.max(1));
    }
    Ok(DynamicImage::ImageRgba8(image.to_rgba8()))
}

fn decode_error(e: image::ImageError) -> PreviewError {
    match e {
        image::ImageError::Limits(_) => PreviewError::TooLarge,
        image::ImageError::Unsupported(_) => PreviewError::Unsupported,
        e => PreviewError::Damaged(e.to_string()),
    }
}

/// A photo prepared for the terminal: drawn as it is, `cols` × `rows` cells.
#[derive(Clone)]
pub struct Photo {
    prepared: Arc<Protocol>,
    pub cols: u16,
    pub rows: u16,
}

impl Photo {
    /// Decodes `bytes` and prepares it for `picker`'s protocol within `cols` × `rows`.
    pub fn prepare(
        picker: &Picker,
        bytes: &[u8],
        cols: u16,
        rows: u16,
    ) -> Result<Self, PreviewError> {
        let font = picker.font_size();
        let image = thumbnail(
            bytes,
            u32::from(cols) * u32::from(font.width.max(1)),
            u32::from(rows) * u32::from(font.height.max(1)),
        )?;
        let prepared = picker
            .new_protocol(image, Size::new(cols, rows), Resize::Fit(None))
            .map_err(|e| PreviewError::Terminal(e.to_string()))?;
        let size = prepared.size();
        Ok(Self {
            prepared: Arc::new(prepared),
            cols: size.width,
            rows: size.height,
        })
    }

    /// Draws the photo at `area` (which must be its own size).
    pub fn draw(&self, area: ratatui::layout::Rect, buf: &mut ratatui::buffer::Buffer) {
        use ratatui::widgets::Widget;
        ratatui_image::Image::new(&self.prepared).render(area, buf);
    }
}

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Photo({}×{})", self.cols, self.rows)
    }
}

impl PartialEq for Photo {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.prepared, &other.prepared)
    }
}

/// How photos are shown, from `[ui] photos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhotoMode {
    /// Ask the terminal what it can (graphics protocol, cell size) at start.
    #[default]
    Auto,
    /// Coloured half blocks: any terminal with true colour, nothing asked.
    Halfblocks,
    /// No previews: the file line only.
    Off,
}

/// The picker for `mode`, asking the terminal if need be. Call after the terminal
/// entered the alternate screen and before anything reads its input.
pub fn picker(mode: PhotoMode) -> Option<Picker> {
    match mode {
        PhotoMode::Off => None,
        PhotoMode::Halfblocks => Some(Picker::halfblocks()),
        // tmux passes the question on to the outer terminal only with
        // `allow-passthrough`, and then nobody answers: the asking thread would wait
        // on the keyboard and swallow the first key typed. Half blocks need no answer.
        PhotoMode::Auto if in_multiplexer() => Some(Picker::halfblocks()),
        PhotoMode::Auto => match Picker::from_query_stdio() {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::info!("terminal graphics query failed ({e}); half blocks");
                Some(Picker::halfblocks())
            }
        },
    }
}

fn in_multiplexer() -> bool {
    std::env::var_os("TMUX").is_some_and(|v| !v.is_empty())
        || std::env::var("TERM").is_ok_and(|t| t.starts_with("tmux") || t.starts_with("screen"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG of `w` × `h` (left half red, right half blue) with an EXIF block holding
    /// `orientation` and a GPS latitude, as a phone writes it.
    pub(crate) fn jpeg_with_exif(w: u32, h: u32, orientation: u16) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, _| {
            if x < w / 2 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 95)
            .encode_image(&img)
            .unwrap();
        // TIFF, little endian: IFD0 {Orientation, GPS IFD pointer}, GPS IFD {latitude ref}.
        let mut tiff: Vec<u8> = b"II*\0".to_vec();
        tiff.extend(8u32.to_le_bytes());
        let ifd0 = [
            (0x0112u16, 3u16, 1u32, u32::from(orientation)),
            (0x8825, 4, 1, 38),
        ];
        tiff.extend((ifd0.len() as u16).to_le_bytes());
        for (tag, kind, count, value) in ifd0 {
            tiff.extend(tag.to_le_bytes());
            tiff.extend(kind.to_le_bytes());
            tiff.extend(count.to_le_bytes());
            tiff.extend(value.to_le_bytes());
        }
        tiff.extend(0u32.to_le_bytes());
        assert_eq!(tiff.len(), 38);
        tiff.extend(1u16.to_le_bytes());
        tiff.extend(1u16.to_le_bytes()); // GPSLatitudeRef
        tiff.extend(2u16.to_le_bytes()); // ASCII
        tiff.extend(2u32.to_le_bytes());
        tiff.extend(*b"N\0\0\0");
        tiff.extend(0u32.to_le_bytes());
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend(((app1.len() + 2) as u16).to_be_bytes());
        out.extend(app1);
        out.extend(&plain[2..]);
        out
    }

    #[test]
    fn a_sideways_phone_photo_is_shown_upright_and_without_its_exif() {
        // R-C9: the preview is pixels only, while the original keeps its GPS tag.
        let original = jpeg_with_exif(64, 32, 6);
        let mut decoder = ImageReader::new(Cursor::new(&original))
            .with_guessed_format()
            .unwrap()
            .into_decoder()
            .unwrap();
        assert!(
            decoder.exif_metadata().unwrap().is_some(),
            "fixture has EXIF"
        );
        let thumb = thumbnail(&original, 400, 400).unwrap();
        // Orientation 6: turned a quarter clockwise, so 64 × 32 becomes 32 × 64, the
        // red half on top.
        assert_eq!((thumb.width(), thumb.height()), (32, 64));
        let top = thumb.to_rgb8().get_pixel(16, 4).0;
        assert!(top[0] > 200 && top[2] < 60, "red on top: {top:?}");
        // Whatever is made of the preview carries nothing but the pixels.
        let mut reencoded = Vec::new();
        thumb
            .to_rgb8()
            .write_to(&mut Cursor::new(&mut reencoded), ImageFormat::Jpeg)
            .unwrap();
        let mut again = ImageReader::new(Cursor::new(&reencoded))
            .with_guessed_format()
            .unwrap()
            .into_decoder()
            .unwrap();
        assert_eq!(again.exif_metadata().unwrap(), None);
        assert!(!reencoded.windows(4).any(|w| w == b"Exif"));
        assert!(
            original.windows(4).any(|w| w == b"Exif"),
            "original unchanged"
        );
    }

    #[test]
    fn thumbnails_keep_the_aspect_within_the_box() {
        let big = jpeg_with_exif(800, 200, 1);
        let t = thumbnail(&big, 100, 100).unwrap();
        assert_eq!((t.width(), t.height()), (100, 25));
    }

    #[test]
    fn what_is_not_a_photo_is_refused_by_its_content() {
        assert_eq!(
            thumbnail(b"%PDF-1.7 offer", 10, 10),
            Err(PreviewError::Unsupported)
        );
        let jpeg = jpeg_with_exif(16, 16, 1);
        assert!(matches!(
            thumbnail(&jpeg[..jpeg.len() / 3], 10, 10),
            Err(PreviewError::Damaged(_))
        ));
        assert!(is_photo("image/JPEG"));
        assert!(!is_photo("image/gif"));
        assert!(!is_photo("application/pdf"));
    }

    #[test]
    fn a_photo_claiming_giant_dimensions_is_refused_before_decoding() {
        use image::ImageEncoder;
        // A PNG header announcing 100,000 × 100,000 pixels: 40 GB if believed.
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&[0u8; 1], 1, 1, image::ExtendedColorType::L8)
            .unwrap();
        // IHDR's width and height sit at bytes 16..24, its CRC after the data.
        png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(thumbnail(&png, 10, 10), Err(PreviewError::TooLarge));
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn half_blocks_take_the_size_the_photo_needs() {
        let picker = Picker::halfblocks();
        let photo = Photo::prepare(&picker, &jpeg_with_exif(400, 100, 1), 40, 12).unwrap();
        assert_eq!(photo.cols, 40);
        assert!(photo.rows < 12, "a wide photo is not as tall: {photo:?}");
    }
}
