#!/usr/bin/env python3
"""Make the upload benchmark's corpus: 34 real photographs from Debian's
wallpaper packages, covering what an upload service is sent.

usage: python3 make_corpus.py [WORK_DIR]     (default: work/ beside this file)

Result: WORK_DIR/corpus/*.{jpg,png,webp} and WORK_DIR/corpus/MANIFEST.tsv.

The .deb files are fetched with `apt-get download` into WORK_DIR/dl (run
`apt-get update` once first) and unpacked there with `dpkg -x`; nothing is
installed. Needs Pillow, `vips` (libvips-tools) and `cwebp` (webp).

Most files are the packaged JPEGs byte for byte. The rest are made from other
packaged photos (one photo per file, never the same twice) where the packages
hold no such file: EXIF orientations 2-8, a Display-P3 and a CMYK JPEG, PNGs
with and without alpha, lossy WebPs with and without alpha. Every step is
deterministic, so the same packages give the same bytes (the manifest records
a SHA-256 prefix of each file).
"""

import hashlib
import io
import os
import shutil
import subprocess
import sys

from PIL import Image, ImageCms, ImageDraw, ImageFilter, JpegImagePlugin

PACKAGES = {
    "lomiri-wallpapers-16.04": "usr/share/backgrounds/",
    "lomiri-wallpapers-20.04": "usr/share/backgrounds/",
    "plasma-workspace-wallpapers": "usr/share/wallpapers/",
    "mate-backgrounds": "usr/share/backgrounds/mate/nature/",
}


def packaged(package, name):
    """A file's place inside an unpacked package, as (package, relative path)."""
    return package, PACKAGES[package] + name


def lomiri16(name):
    return packaged("lomiri-wallpapers-16.04", name)


def lomiri20(name):
    return packaged("lomiri-wallpapers-20.04", name)


def plasma(theme):
    return packaged("plasma-workspace-wallpapers", theme + "/contents/images/2560x1600.jpg")


def mate(name):
    return packaged("mate-backgrounds", name)


# Copied unchanged: large (8-20 MP), medium (4-6 MP, some with an sRGB ICC
# profile, one grayscale) and small ones (the display must not enlarge them).
UNCHANGED = {
    "jpg_kleiber_20mp.jpg": lomiri20("Kleiber_by_Lukas_Baubkus.jpg"),
    "jpg_infinite_sea_17mp.jpg": lomiri20("Infinite-Sea_by_Aury88.jpg"),
    "jpg_seeding_16mp.jpg": lomiri16("seeding_by_Clements_Engelhardt.jpg"),
    "jpg_dragonfly_13mp.jpg": lomiri16("Dragonfly_by_Bolly.jpg"),
    "jpg_sunset_12mp.jpg": lomiri16("sunset_by_Aitzol_Berasategi.jpg"),
    "jpg_bridge_11mp.jpg": lomiri16("Bridge_by_Sander_Klootwijk.jpg"),
    "jpg_picosdeeuropa_8mp.jpg": lomiri16("picosdeeuropa_by_Aitzol_Berasategi.jpg"),
    "jpg_analogpattern_6mp.jpg": lomiri16("analogpattern_by_Peter_Nerlich.jpg"),
    "jpg_wood_5mp.jpg": mate("Wood.jpg"),
    "jpg_autumn_boats_4mp.jpg": plasma("Autumn"),
    "jpg_bythewater_4mp.jpg": plasma("BytheWater"),
    "jpg_colorfulcups_4mp_icc.jpg": plasma("ColorfulCups"),
    "jpg_path_4mp_icc.jpg": plasma("Path"),
    "jpg_kite_4mp_icc.jpg": plasma("Kite"),
    "jpg_grey_4mp_gray.jpg": plasma("Grey"),
    "jpg_fallenleaf_4mp.jpg": plasma("FallenLeaf"),
    "jpg_dune_1.8mp.jpg": mate("Dune.jpg"),
    "jpg_picture1a_1.5mp.jpg": lomiri16("Picture_1A_by_freespace.jpg"),
}

# One photo per EXIF orientation tag, its pixels stored turned so that a
# viewer honouring the tag shows it upright, as a camera writes them.
ORIENTED = {
    2: ("jpg_orient2_aitzgorri_6mp.jpg", lomiri16("aitzgorri_by_Aitzol_Berasategi.jpg")),
    3: ("jpg_orient3_free_6mp.jpg", lomiri16("free_by_Peter_Nerlich.jpg")),
    4: ("jpg_orient4_eveningglow_4mp.jpg", plasma("EveningGlow")),
    5: ("jpg_orient5_friends_6mp.jpg", lomiri16("friends_by_Aitzol_Berasategi.jpg")),
    6: ("jpg_orient6_greentock_6mp.jpg", lomiri16("greentock_by_Peter_Nerlich.jpg")),
    7: ("jpg_orient7_life_6mp.jpg", lomiri16("life_by_Aitzol_Berasategi.jpg")),
    8: ("jpg_orient8_picture0b_4.5mp.jpg", lomiri16("Picture_0B_by_freespace.jpg")),
}
# What a viewer does to the stored pixels for each tag (PIL.ImageOps.exif_transpose).
SHOWN_BY = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Its inverse: what turns the upright photo into the stored pixels. Only 6
# and 8 differ; the others undo themselves.
STORED_BY = {**SHOWN_BY, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}

# Colour-managed JPEGs, made with libvips' built-in profiles; the pipeline must
# convert both to sRGB. (name, source, vips profile, embed the profile?)
COLOUR_MANAGED = [
    ("jpg_onestandsout_4mp_displayp3.jpg", plasma("OneStandsOut"), "p3", True),
    ("jpg_darkesthour_4mp_cmyk.jpg", plasma("DarkestHour"), "cmyk", False),
]

# The packages hold no photographic PNG: these are photos saved as PNG, as an
# editor exports them. (name, source, alpha mask or None)
PNGS = [
    ("png_wine_10mp_portrait_rgb.png", lomiri16("Wine_by_Jakkub_Mede.jpg"), None),
    ("png_coldripple_4mp_rgb.png", plasma("ColdRipple"), None),
    ("png_summer1am_4mp_rgba.png", plasma("summer_1am"), "ellipse"),
    ("png_storm_2.5mp_rgba.png", mate("Storm.jpg"), "rounded"),
]

# Lossy WebPs as phones and browsers make them. (name, source, alpha mask or None)
WEBPS = [
    ("webp_twowings_4mp.webp", mate("TwoWings.jpg"), None),
    ("webp_yellowflower_4mp.webp", mate("YellowFlower.jpg"), None),
    ("webp_garden_4mp_alpha.webp", mate("Garden.jpg"), "ellipse"),
]
WEBP_QUALITY = 85


def quiet(*command):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def unpack_packages(downloads):
    """Download each package once and unpack it once; returns the unpack root."""
    unpacked = os.path.join(downloads, "x")
    os.makedirs(downloads, exist_ok=True)
    for package in PACKAGES:
        target = os.path.join(unpacked, package)
        if os.path.isdir(target):
            continue

        def debs():
            return [f for f in os.listdir(downloads) if f.startswith(package + "_") and f.endswith(".deb")]

        if not debs():
            subprocess.run(["apt-get", "download", package], cwd=downloads, check=True)
        os.makedirs(target)
        quiet("dpkg", "-x", os.path.join(downloads, debs()[0]), target)
    return unpacked


def soft_alpha(size, shape):
    """An alpha channel like a cut-out exported from an editor: opaque inside
    the shape, transparent around it."""
    width, height = size
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    if shape == "ellipse":
        draw.ellipse([width * 0.06, height * 0.06, width * 0.94, height * 0.94], fill=255)
        return mask.filter(ImageFilter.GaussianBlur(min(width, height) * 0.03))
    corner = int(min(width, height) * 0.08)
    draw.rounded_rectangle([width * 0.04, height * 0.04, width * 0.96, height * 0.96], radius=corner, fill=255)
    return mask


def camera_exif(orientation):
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "Canon EOS 400D"  # Model
    exif[0x0112] = orientation
    return exif.tobytes()


def build(source, corpus, scratch):
    """Writes every corpus file; returns {name: (how it was made, source)}."""
    made = {}

    def path_of(origin):
        return os.path.join(source, *origin)

    def rgb(origin, shape=None):
        photo = Image.open(path_of(origin)).convert("RGB")
        if shape:
            photo.putalpha(soft_alpha(photo.size, shape))
        return photo

    for name, origin in UNCHANGED.items():
        shutil.copyfile(path_of(origin), os.path.join(corpus, name))
        made[name] = ("copy", origin)

    for tag, (name, origin) in ORIENTED.items():
        upright = rgb(origin)
        stored = upright.transpose(STORED_BY[tag])
        if stored.transpose(SHOWN_BY[tag]).tobytes() != upright.tobytes():
            raise AssertionError(f"orientation {tag}: stored pixels do not show upright")
        stored.save(os.path.join(corpus, name), quality=92, subsampling="4:2:0", exif=camera_exif(tag))
        made[name] = (f"derived: pixels stored for EXIF Orientation={tag}, Pillow q92 4:2:0", origin)

    for name, origin, profile, embed in COLOUR_MANAGED:
        command = ["vips", "icc_transform", path_of(origin), os.path.join(corpus, name) + "[Q=90]", profile]
        quiet(*command, *(["--embedded"] if embed else []))
        label = "Display P3" if profile == "p3" else "CMYK"
        made[name] = (f"derived: vips icc_transform to built-in {label} profile, Q90", origin)

    for name, origin, shape in PNGS:
        rgb(origin, shape).save(os.path.join(corpus, name), compress_level=6)
        how = f"RGBA PNG, {shape} soft alpha mask" if shape else "decoded JPEG saved as 8-bit RGB PNG"
        made[name] = ("derived: " + how, origin)

    for name, origin, shape in WEBPS:
        lossless_source = os.path.join(scratch, name + ".png")
        rgb(origin, shape).save(lossless_source, compress_level=1)
        quiet("cwebp", "-q", str(WEBP_QUALITY), "-m", "6", "-mt", lossless_source, "-o", os.path.join(corpus, name))
        made[name] = (f"derived: cwebp -q {WEBP_QUALITY} -m 6" + (" with soft alpha mask" if shape else ""), origin)
    return made


MANIFEST_COLUMNS = ["file", "format", "width", "height", "megapixels", "bytes", "mode", "alpha",
                    "exif_orientation", "icc_profile", "jpeg_coding", "origin", "package", "sha256_16"]


def describe(path, how, origin):
    """One manifest row: what an upload service would see in the file."""
    data = open(path, "rb").read()
    if len(data) > 10 * 1024 * 1024:
        raise AssertionError(f"{path}: {len(data)} bytes, over the 10 MiB upload limit")
    image = Image.open(path)
    width, height = image.size
    icc = image.info.get("icc_profile")
    profile = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip() if icc else ""
    coding = ""
    if image.format == "JPEG":
        sampling = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}.get(JpegImagePlugin.get_sampling(image), "?")
        sampling = {"L": "gray", "CMYK": "cmyk"}.get(image.mode, sampling)
        coding = ("progressive" if image.info.get("progressive") else "baseline") + " " + sampling
    has_alpha = "A" in image.mode or "transparency" in image.info
    return [os.path.basename(path), image.format, str(width), str(height), f"{width * height / 1e6:.2f}",
            str(len(data)), image.mode, "yes" if has_alpha else "no", str(image.getexif().get(0x0112, "")),
            profile, coding, how, "Debian:" + origin[0], hashlib.sha256(data).hexdigest()[:16]]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    work = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "work"))
    corpus = os.path.join(work, "corpus")
    scratch = os.path.join(work, "corpus_tmp")
    source = unpack_packages(os.path.join(work, "dl"))
    for folder in (corpus, scratch):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
    made = build(source, corpus, scratch)
    shutil.rmtree(scratch)

    rows = [describe(os.path.join(corpus, name), *made[name]) for name in sorted(made)]
    with open(os.path.join(corpus, "MANIFEST.tsv"), "w") as manifest:
        for row in [MANIFEST_COLUMNS, *rows]:
            manifest.write("\t".join(row) + "\n")
    total_mb = sum(int(row[5]) for row in rows) / 1e6
    total_mp = sum(float(row[4]) for row in rows)
    print(f"{len(rows)} files, {total_mb:.1f} MB, {total_mp:.1f} MP total -> {corpus}")


if __name__ == "__main__":
    main()
