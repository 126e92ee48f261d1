#!/usr/bin/env python3
"""The floor under the upload pipeline on this machine: the least work any
implementation with these codecs must do, done by the fastest stand-alone C
tools, one process per core at a time.

  python3 floor.py prepare CORPUS_DIR WORK_DIR    untimed: the encoders' inputs
  python3 floor.py run     CORPUS_DIR WORK_DIR [--jobs=N]

`run` decodes every image at the display scale (djpeg with the DCT scaling
libvips' shrink-on-load uses: 1/1, 1/2, 1/4 or 1/8; dwebp for WebP; `vips avg`
for PNG, which has no scaled decode) and encodes both outputs with
`cwebp -m 4` (display q80, thumbnail q75) from pixels `prepare` already
oriented, converted to sRGB and resized. No resizing, orientation, colour or
metadata work is counted, so no pipeline using these codecs at this effort
can be faster. It prints its wall time and images/s; time the command from
outside (ab.sh) for CPU and memory.

Needs djpeg (libjpeg-turbo-progs), dwebp and cwebp (webp), vips
(libvips-tools), and Pillow for `prepare`.
"""

import concurrent.futures
import csv
import io
import math
import os
import subprocess
import sys
import time

DISPLAY_EDGE, THUMB_EDGE = 2048, 400
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def images(corpus):
    return sorted(name for name in os.listdir(corpus) if name.lower().endswith(IMAGE_SUFFIXES))


def dct_eighths(long_edge, target):
    """The smallest of libvips' JPEG shrink-on-load scales (M/8 for M in 1,
    2, 4, 8) whose output, rounded up as libjpeg does, still covers target."""
    return next((m for m in (1, 2, 4, 8) if math.ceil(long_edge * m / 8) >= target), 8)


def write_netpbm(image, path):
    """PPM, or PAM when there is alpha: the raw formats cwebp reads fastest."""
    with open(path, "wb") as out:
        if image.mode == "RGBA":
            out.write(b"P7\nWIDTH %d\nHEIGHT %d\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n" % image.size)
        else:
            out.write(b"P6\n%d %d\n255\n" % image.size)
        out.write(image.tobytes())


def prepare(corpus, work):
    from PIL import Image, ImageCms, ImageOps

    floor = os.path.join(work, "floor")
    for part in ("display", "thumb", "out"):
        os.makedirs(os.path.join(floor, part), exist_ok=True)
    srgb = ImageCms.createProfile("sRGB")
    plan = []
    for name in images(corpus):
        source = Image.open(os.path.join(corpus, name))
        file_format, long_edge = source.format, max(source.size)
        upright = ImageOps.exif_transpose(source)
        profile = upright.info.get("icc_profile")
        if profile:
            try:
                upright = ImageCms.profileToProfile(upright, ImageCms.ImageCmsProfile(io.BytesIO(profile)), srgb,
                                                    outputMode="RGBA" if upright.mode == "RGBA" else "RGB")
            except ImageCms.PyCMSError:
                pass  # a profile Pillow cannot apply: encode the pixels as they are
        alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        upright = upright.convert("RGBA" if alpha else "RGB")
        for part, edge in (("display", DISPLAY_EDGE), ("thumb", THUMB_EDGE)):
            scaled = upright
            if max(upright.size) > edge:
                factor = edge / max(upright.size)
                size = (max(1, round(upright.width * factor)), max(1, round(upright.height * factor)))
                scaled = upright.resize(size, Image.LANCZOS)
            write_netpbm(scaled, os.path.join(floor, part, name + (".pam" if alpha else ".ppm")))
        plan.append({"file": name, "format": file_format, "pixels": source.width * source.height,
                     "alpha": int(alpha), "eighths": dct_eighths(long_edge, DISPLAY_EDGE)})
    with open(os.path.join(floor, "plan.tsv"), "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(plan[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(plan)
    print(f"prepared {len(plan)} images in {floor}")


def commands(corpus, work, plan):
    """Every decode, then every display encode, then the small thumbnail
    encodes last, so that the workers finish close together."""
    floor = os.path.join(work, "floor")
    decodes, displays, thumbs = [], [], []
    for row in plan:
        source = os.path.join(corpus, row["file"])
        alpha = row["alpha"] == "1"
        if row["format"] == "JPEG":
            decodes.append(["djpeg", "-scale", f"{row['eighths']}/8", "-outfile", os.devnull, source])
        elif row["format"] == "WEBP":
            decodes.append(["dwebp", "-quiet", "-pam" if alpha else "-ppm", source, "-o", os.devnull])
        else:
            decodes.append(["vips", "avg", source])
        for part, quality, into in (("display", "80", displays), ("thumb", "75", thumbs)):
            pixels = os.path.join(floor, part, row["file"] + (".pam" if alpha else ".ppm"))
            encoded = os.path.join(floor, "out", f"{row['file']}.{part}.webp")
            into.append(["cwebp", "-quiet", "-q", quality, "-m", "4", pixels, "-o", encoded])
    return decodes + displays + thumbs


def run(corpus, work, jobs):
    with open(os.path.join(work, "floor", "plan.tsv")) as source:
        plan = list(csv.DictReader(source, delimiter="\t"))
    todo = commands(corpus, work, plan)
    single_threaded = dict(os.environ, VIPS_CONCURRENCY="1")  # the parallelism is the jobs

    def execute(command):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=single_threaded)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        list(pool.map(execute, todo))
    seconds = time.perf_counter() - started
    megapixels = sum(int(row["pixels"]) for row in plan) / 1e6
    print(f"floor jobs={jobs} commands={len(todo)} images={len(plan)} seconds={seconds:.3f} "
          f"images_per_s={len(plan) / seconds:.2f} input_MP_per_s={megapixels / seconds:.1f}")


def main():
    options = dict(arg[2:].split("=", 1) for arg in sys.argv[1:] if arg.startswith("--"))
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    if len(args) != 3 or args[0] not in ("prepare", "run"):
        raise SystemExit(__doc__)
    step, corpus, work = args
    if step == "prepare":
        prepare(corpus, work)
    else:
        run(corpus, work, int(options.get("jobs", os.cpu_count())))


if __name__ == "__main__":
    main()
