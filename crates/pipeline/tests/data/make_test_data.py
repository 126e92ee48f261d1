#!/usr/bin/env python3
"""Generate the pipeline's test images: reference fixtures and the hostile corpus.

Usage: python3 make_test_data.py        (writes fixtures/ and hostile/ next to this script)
Needs: Python 3 with Pillow (JPEG/WebP/littlecms), and `vips` (libvips-tools) for the built-in
Display-P3 and CMYK ICC profiles. Deterministic: the same tools give the same files.

fixtures/  source images in awkward encodings, each with a reference PNG (ref_*.png) holding the
           sRGB pixels the pipeline must reproduce (within a mean-error tolerance).
hostile/   files built to break decoders; EXPECTED.tsv names the outcome each must get.
"""
import io
import os
import struct
import subprocess
import zlib

from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
HOS = os.path.join(HERE, "hostile")


def scene(w=96, h=64):
    """Smooth gradients plus flat patches: resampling-friendly, colours inside every gamut used."""
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = (40 + x * 170 // w, 60 + y * 150 // h, 180 - x * 100 // w)
    d = ImageDraw.Draw(im)
    d.rectangle([8, 8, 30, 30], fill=(190, 70, 60))
    d.rectangle([w - 34, h - 30, w - 10, h - 8], fill=(70, 150, 90))
    return im


def save(im, path, **kw):
    im.save(path, **kw)


def vips(*args):
    subprocess.run(["vips", *args], check=True, capture_output=True)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_raw(w, h, color_type, bit_depth, rows, extra=b""):
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    idat = zlib.compress(b"".join(b"\0" + r for r in rows), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_bytes(im, **kw):
    b = io.BytesIO()
    im.save(b, "JPEG", **kw)
    return b.getvalue()


def app_segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def fixtures():
    os.makedirs(FIX, exist_ok=True)
    s = scene()
    save(s, os.path.join(FIX, "ref_scene.png"))
    save(s.convert("L"), os.path.join(FIX, "ref_scene_gray.png"))
    save(s, os.path.join(FIX, "progressive.jpg"), quality=95, progressive=True, subsampling=0)
    save(s.convert("L"), os.path.join(FIX, "gray.jpg"), quality=95)
    # Pillow writes CMYK as Adobe-inverted samples with an APP14 marker and no profile.
    save(s.convert("CMYK"), os.path.join(FIX, "cmyk_naive.jpg"), quality=95)
    src = os.path.join(FIX, "ref_scene.png")
    vips("icc_transform", src, os.path.join(FIX, "cmyk_icc.jpg") + "[Q=95]", "cmyk", "--embedded")
    vips("icc_transform", src, os.path.join(FIX, "p3_icc.jpg") + "[Q=95]", "p3", "--embedded")
    vips("icc_transform", src, os.path.join(FIX, "p3_icc.png"), "p3", "--embedded")
    # Palette PNG with a tRNS chunk: a transparent corner and a half-transparent band.
    rgba = s.convert("RGBA")
    d = ImageDraw.Draw(rgba)
    d.rectangle([0, 0, 20, 20], fill=(0, 0, 0, 0))
    d.rectangle([0, 40, 95, 50], fill=(200, 200, 40, 128))
    pal = rgba.quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    save(pal, os.path.join(FIX, "palette_trns.png"))
    save(pal.convert("RGBA"), os.path.join(FIX, "ref_palette_trns.png"))
    save(rgba, os.path.join(FIX, "ref_alpha.png"))
    save(rgba, os.path.join(FIX, "lossless_alpha.webp"), lossless=True)
    save(rgba, os.path.join(FIX, "lossy_alpha.webp"), quality=95, method=4)


def hostile():
    os.makedirs(HOS, exist_ok=True)
    expected = []

    def put(name, data, outcome):
        with open(os.path.join(HOS, name), "wb") as f:
            f.write(data)
        expected.append((name, outcome))

    s = scene(160, 120)
    jpg = jpeg_bytes(s, quality=90)
    png = io.BytesIO()
    s.save(png, "PNG")
    png = png.getvalue()
    webp = io.BytesIO()
    s.save(webp, "WEBP", quality=80)
    webp = webp.getvalue()

    put("empty.jpg", b"", "invalid")
    put("truncated_half.jpg", jpg[: len(jpg) // 2], "invalid")
    put("truncated_header.jpg", jpg[:120], "invalid")
    put("truncated.png", png[: len(png) - 40], "invalid")
    put("truncated.webp", webp[: len(webp) // 2], "invalid")
    # IDAT CRC flipped.
    i = png.index(b"IDAT")
    n = struct.unpack(">I", png[i - 4 : i])[0]
    crc_at = i + 4 + n
    put("bad_crc.png", png[:crc_at] + bytes([png[crc_at] ^ 0xFF]) + png[crc_at + 1 :], "invalid")
    # Headers that lie: pixel data for 160x120 under an IHDR claiming 3000x3000.
    ihdr = struct.pack(">IIBBBBB", 3000, 3000, 8, 2, 0, 0, 0)
    put("lying_ihdr.png", png[:8] + chunk(b"IHDR", ihdr) + png[33:], "invalid")
    sof = jpg.index(b"\xff\xc0")
    put("lying_sof_huge.jpg", jpg[: sof + 5] + struct.pack(">HH", 60000, 60000) + jpg[sof + 9 :], "too_large")
    put("lying_sof_zero.jpg", jpg[: sof + 5] + struct.pack(">HH", 0, 0) + jpg[sof + 9 :], "invalid")
    put("zero_width.png", png_raw(0, 10, 0, 8, []), "invalid")
    # Decompression bombs: tiny files whose headers promise gigapixels.
    row = b"\0" * 20000
    put("bomb_20000x20000.png", png_raw(20000, 20000, 0, 8, [row] * 64), "too_large")
    put("bomb_65mp.png", png_raw(9000, 7300, 0, 8, [b"\0" * 9000] * 16), "too_large")
    put("bomb_side.png", png_raw(16385, 1, 0, 8, [b"\0" * 16385]), "too_large")
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (0xFFFFFF).to_bytes(3, "little") * 2
    put("bomb_vp8x.webp", b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x, "too_large")
    # A zTXt chunk that inflates to 64 MiB of zeros: text chunks must not be inflated into memory.
    ztxt = b"Comment\0\0" + zlib.compress(b"\0" * (64 << 20), 9)
    put("ztxt_bomb.png", png[:33] + chunk(b"zTXt", ztxt) + png[33:], "ok")
    # Huge and malformed metadata: decoders must skip it, not trust it.
    junk_icc = bytes((i * 7919) & 0xFF for i in range(60000))
    segs = b""
    for k in range(16):  # ~1 MB of garbage ICC over 16 APP2 segments
        segs += app_segment(0xE2, b"ICC_PROFILE\0" + bytes([k + 1, 16]) + junk_icc)
    put("huge_garbage_icc.jpg", jpg[:2] + segs + jpg[2:], "ok")
    loop_ifd = b"MM\0\x2a\0\0\0\x08" + struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, 8) + struct.pack(">I", 8)
    exif = b"Exif\0\0" + loop_ifd + bytes(65000 - len(loop_ifd))
    put("huge_looping_exif.jpg", jpg[:2] + app_segment(0xE1, exif) + jpg[2:], "ok")
    iccp = b"icc\0\0" + zlib.compress(junk_icc * 30, 9)
    put("huge_garbage_iccp.png", png[:33] + chunk(b"iCCP", iccp) + png[33:], "ok")
    # Polyglots and trailing data: processed, and nothing of the tail survives.
    html = b"<html><script>alert('polyglot')</script></html>"
    put("polyglot_comment.jpg", jpg[:2] + app_segment(0xFE, html) + jpg[2:] + html, "ok")
    put("trailing_zip.png", png + b"PK\x03\x04" + bytes(64) + html, "ok")
    put("trailing_html.webp", webp + html, "ok")
    # Wrong types and animations.
    put("html.jpg", html, "unsupported")
    put("gif.png", b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;", "unsupported")
    actl = chunk(b"acTL", struct.pack(">II", 2, 0))
    put("animated.png", png[:33] + actl + png[33:], "animated")
    anim = io.BytesIO()
    s.save(anim, "WEBP", save_all=True, append_images=[s.transpose(Image.Transpose.FLIP_LEFT_RIGHT)], duration=100, quality=50)
    put("animated.webp", anim.getvalue(), "animated")
    put("jpeg_no_scan.jpg", jpg[: jpg.index(b"\xff\xda")] + b"\xff\xd9", "invalid")
    put("png_no_idat.png", png[:33] + chunk(b"IEND", b""), "invalid")

    with open(os.path.join(HOS, "EXPECTED.tsv"), "w") as f:
        f.write("# file\texpected outcome (ok | invalid | too_large | animated | unsupported)\n")
        for name, outcome in expected:
            f.write(f"{name}\t{outcome}\n")


if __name__ == "__main__":
    fixtures()
    hostile()
