//! Real test images made in code: JPEGs (with hand-built EXIF), PNGs, and
//! headers that lie about their size.

use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

/// A JPEG with a left half red and a right half blue.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    encode_jpeg(&img)
}

/// `img` as a quality-90 JPEG.
fn encode_jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// An RGBA PNG: opaque green on the left, fully transparent on the right.
pub fn png_with_alpha(width: u32, height: u32) -> Vec<u8> {
    let img = RgbaImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgba([0, 200, 0, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgba8)
        .unwrap();
    out
}

/// A PNG whose IHDR claims `width`×`height` but that carries no pixel data.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(kind);
    hasher.update(data);
    out.extend_from_slice(&hasher.finalize().to_be_bytes());
}

/// Inserts an APP1 EXIF segment with `orientation` and a GPS position.
pub fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    // Little-endian TIFF: IFD0 {Orientation, GPSInfo→GPS IFD}, GPS IFD {LatitudeRef "N", Latitude}.
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    // IFD0 at 8: 2 entries.
    tiff.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut tiff, 0x0112, 3, 1, u32::from(orientation));
    let gps_ifd = 8 + 2 + 2 * 12 + 4;
    entry(&mut tiff, 0x8825, 4, 1, gps_ifd);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: 2 entries; latitude rationals follow it.
    tiff.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut tiff, 0x0001, 2, 2, u32::from_le_bytes([b'N', 0, 0, 0]));
    let rationals = gps_ifd + 2 + 2 * 12 + 4;
    entry(&mut tiff, 0x0002, 5, 3, rationals);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    for (num, den) in [(48u32, 1u32), (51, 1), (2963, 100)] {
        tiff.extend_from_slice(&num.to_le_bytes());
        tiff.extend_from_slice(&den.to_le_bytes());
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&value.to_le_bytes());
}

/// Decodes a stored WebP variant.
pub fn decode_webp(bytes: &[u8]) -> image::DynamicImage {
    image::load_from_memory_with_format(bytes, image::ImageFormat::WebP).expect("valid WebP")
}

/// A JPEG of a smooth gradient with pseudo-random grain, so it compresses like
/// a photograph: `grain` is the noise amplitude (0–255) and sets the file size.
pub fn grainy_jpeg(width: u32, height: u32, grain: u8) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let img = RgbImage::from_fn(width, height, |x, y| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let noise = ((state >> 33) % (u64::from(grain) + 1)) as u8;
        let base = ((x * 255 / width + y * 255 / height) / 2) as u8;
        Rgb([base.saturating_add(noise), base / 2 + noise / 2, 255 - base])
    });
    encode_jpeg(&img)
}
