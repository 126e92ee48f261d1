//! Builders for test images (JPEG/PNG with hand-made EXIF, APNG, WebP) and pixel comparison.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageEncoder, RgbImage, RgbaImage};

pub const RED: [u8; 3] = [220, 20, 20];
pub const GREEN: [u8; 3] = [20, 200, 20];
pub const BLUE: [u8; 3] = [20, 20, 220];
pub const WHITE: [u8; 3] = [245, 245, 245];

/// Four coloured quadrants (red, green / blue, white): every orientation of it looks different.
pub fn quadrants(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb(match (x < w / 2, y < h / 2) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        })
    })
}

pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

pub fn png_rgba(img: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgba8,
        )
        .unwrap();
    out
}

pub fn png_rgb(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A big-endian TIFF/EXIF block with an Orientation tag and, if asked, a GPS IFD
/// carrying a latitude and a marker string that must never reach the output.
pub fn exif_block(orientation: u16, gps: bool) -> Vec<u8> {
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    let entries: u16 = if gps { 2 } else { 1 };
    t.extend(entries.to_be_bytes());
    // Orientation, SHORT, count 1, value left-justified.
    t.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    t.extend(orientation.to_be_bytes());
    t.extend([0, 0]);
    let ifd0_end = 8 + 2 + 12 * u32::from(entries) + 4;
    if gps {
        // GPSInfo pointer, LONG.
        t.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1]);
        t.extend(ifd0_end.to_be_bytes());
    }
    t.extend(0u32.to_be_bytes());
    if gps {
        let gps_ifd_len = 2 + 12 * 3 + 4;
        let lat_at = ifd0_end + gps_ifd_len;
        let note_at = lat_at + 24;
        t.extend(3u16.to_be_bytes());
        // GPSLatitudeRef "N".
        t.extend([0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
        // GPSLatitude, 3 RATIONALs.
        t.extend([0, 2, 0, 5, 0, 0, 0, 3]);
        t.extend(lat_at.to_be_bytes());
        // GPSAreaInformation-like ASCII marker, to grep for in the output.
        let note = b"SECRET-GPS-48.8584N\0";
        t.extend([0, 0x1C, 0, 2]);
        t.extend((note.len() as u32).to_be_bytes());
        t.extend(note_at.to_be_bytes());
        t.extend(0u32.to_be_bytes());
        for (n, d) in [(48u32, 1u32), (51, 1), (3024, 100)] {
            t.extend(n.to_be_bytes());
            t.extend(d.to_be_bytes());
        }
        t.extend(note);
    }
    t
}

/// Inserts an APP1 Exif segment right after the JPEG's SOI marker.
pub fn with_exif(jpeg: &[u8], exif: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((exif.len() + 8) as u16).to_be_bytes());
    out.extend(b"Exif\0\0");
    out.extend(exif);
    out.extend(&jpeg[2..]);
    out
}

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG chunk with a correct CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend(kind);
    c.extend(data);
    let crc = crc32(&c[4..]);
    c.extend(crc.to_be_bytes());
    c
}

/// Inserts a chunk right after IHDR (offset 8 + 25).
pub fn png_insert_after_ihdr(png: &[u8], chunk: &[u8]) -> Vec<u8> {
    let mut out = png[..33].to_vec();
    out.extend(chunk);
    out.extend(&png[33..]);
    out
}

/// A PNG that is only a signature and an IHDR claiming `w × h` RGBA, plus a tiny IDAT and IEND.
pub fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr));
    out.extend(png_chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0, 0, 0, 0, 1]));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// Decodes one of our WebP outputs to RGBA for pixel checks.
pub fn decode_webp(bytes: &[u8]) -> DynamicImage {
    image::ImageReader::with_format(Cursor::new(bytes), image::ImageFormat::WebP)
        .decode()
        .unwrap()
}

/// Mean absolute difference per RGB channel between two same-sized images.
pub fn mean_error(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "dimension mismatch");
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

/// The four-character chunk ids of a RIFF/WebP file.
pub fn riff_chunks(bytes: &[u8]) -> Vec<[u8; 4]> {
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WEBP");
    let mut ids = Vec::new();
    let mut i = 12;
    while i + 8 <= bytes.len() {
        let id: [u8; 4] = bytes[i..i + 4].try_into().unwrap();
        let len = u32::from_le_bytes(bytes[i + 4..i + 8].try_into().unwrap()) as usize;
        ids.push(id);
        i += 8 + len + (len & 1);
    }
    ids
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
