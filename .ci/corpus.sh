#!/usr/bin/env bash
# Public image test files nobody here wrote, for the corpus test. All come
# from Debian's archive at pinned versions, checked by SHA-256, and are kept
# in a cache outside the clone (nothing of them is committed):
#
#   go-image, go-png  Go's image and image/png test data: a PngSuite subset,
#                     broken PNGs, JPEG subsampling, progressive, CMYK and
#                     truncated files (golang-1.19-src; BSD-3-Clause)
#   x-image           golang.org/x/image's lossy, lossless and alpha WebP
#                     (golang-golang-x-image-dev; BSD-3-Clause)
#   pngsuite          the whole PngSuite, with its deliberately broken x*
#                     files, and libspng's crashers (libspng source;
#                     PngSuite: free for any purpose; libspng: BSD-2-Clause)
#   libjpeg-turbo     libjpeg-turbo's test images: baseline, progressive,
#                     arithmetic-coded and 12-bit JPEG (libjpeg-turbo
#                     source; IJG and BSD-3-Clause)
#   libwebp           the sample WebPs of libwebp's own source (BSD-3-Clause)
#   pillow            Pillow's WebP, APNG and JPEG test images: animated,
#                     alpha, EXIF-oriented, damaged (Pillow source; HPND)
#   imaging           real EXIF orientations 0-8 of one picture
#                     (golang-github-disintegration-imaging-dev; MIT)
#   goexif            camera JPEGs' EXIF blocks and corrupt EXIF
#                     (golang-github-rwcarlsen-goexif-dev; BSD-2-Clause)
#
# Prints the directory that holds them.
set -euo pipefail
CACHE="${IMAGE_SERVICE_CORPUS_CACHE:-$HOME/.cache/image-service/corpus}"
MIRROR="${IMAGE_SERVICE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PACKAGES=(
  golang-1.19-src=1.19.8-2
  golang-golang-x-image-dev=0.5.0-1
  golang-github-disintegration-imaging-dev=1.6.2-2
  golang-github-rwcarlsen-goexif-dev=0.0~git20190401.9e8deec-2
)
# Source archives: pool path and SHA-256 (from bookworm's Sources index).
SOURCES=(
  "libs/libspng/libspng_0.7.3.orig.tar.gz a50cadbe808ffda1a7fab17d145f52a23b163f34b3eb3696c7ecb5a52340fc1d"
  "libj/libjpeg-turbo/libjpeg-turbo_2.1.5.orig.tar.gz 254f3642b04e309fee775123133c6464181addc150499561020312ec61c1bf7c"
  "libw/libwebp/libwebp_1.2.4.orig.tar.gz 7bf5a8a28cc69bcfa8cb214f2c3095703c6b73ac5fba4d5480c205331d9494df"
  "p/pillow/pillow_9.4.0.orig.tar.xz 0a58ccfbd002838b32e21773bfdaa954a2de08d1f04b87b63d14e751fec3264d"
)
STAMP="$CACHE/.unpacked-$(printf '%s\n' "${PACKAGES[@]}" "${SOURCES[@]}" | sha256sum | cut -c1-16)"
LOG=/tmp/image-service-corpus.log

# Extracts the members matching the patterns from an archive into a flat
# directory named DEST under files/.
unpack() {
  local archive=$1 dest=$2
  shift 2
  local tmp="$CACHE/root/$dest"
  mkdir -p "$tmp" "$CACHE/files/$dest"
  tar -x -f "$archive" -C "$tmp" --wildcards "$@" 2>>"$LOG" || true
  find "$tmp" -type f -exec mv -t "$CACHE/files/$dest" {} +
}

if [ ! -e "$STAMP" ]; then
  rm -rf "$CACHE"
  mkdir -p "$CACHE/debs" "$CACHE/src" "$CACHE/root" "$CACHE/files"
  : >"$LOG"
  (
    cd "$CACHE/debs"
    apt-get download "${PACKAGES[@]}" >>"$LOG" 2>&1 || {
      apt-get update >>"$LOG" 2>&1
      apt-get download "${PACKAGES[@]}" >>"$LOG" 2>&1
    }
  ) || { echo "corpus: apt-get download failed, see $LOG" >&2; exit 1; }
  for entry in "${SOURCES[@]}"; do
    read -r path sum <<<"$entry"
    file="$CACHE/src/${path##*/}"
    curl -fsS --retry 3 -o "$file" "$MIRROR/pool/main/$path" 2>>"$LOG" ||
      { echo "corpus: download of $path failed, see $LOG" >&2; exit 1; }
    echo "$sum  $file" | sha256sum -c --quiet - >>"$LOG" 2>&1 ||
      { echo "corpus: $path does not match its pinned SHA-256" >&2; exit 1; }
  done
  for deb in "$CACHE"/debs/*.deb; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$CACHE/root" --wildcards \
      './usr/share/go-1.19/src/image/testdata/*' \
      './usr/share/go-1.19/src/image/png/testdata/*' \
      './usr/share/gocode/src/golang.org/x/image/testdata/*' \
      './usr/share/gocode/src/github.com/disintegration/imaging/testdata/orientation_*.jpg' \
      './usr/share/gocode/src/github.com/rwcarlsen/goexif/exif/*.jpg' 2>>"$LOG" || true
  done
  # Go's image directories keep their own layout (sub-folders included).
  cp -r "$CACHE/root/usr/share/go-1.19/src/image/testdata" "$CACHE/files/go-image"
  cp -r "$CACHE/root/usr/share/go-1.19/src/image/png/testdata" "$CACHE/files/go-png"
  cp -r "$CACHE/root/usr/share/gocode/src/golang.org/x/image/testdata" "$CACHE/files/x-image"
  github="$CACHE/root/usr/share/gocode/src/github.com"
  mkdir -p "$CACHE/files/imaging" "$CACHE/files/goexif"
  cp "$github"/disintegration/imaging/testdata/orientation_*.jpg "$CACHE/files/imaging/"
  find "$github/rwcarlsen/goexif/exif" -name '*.jpg' -exec cp -t "$CACHE/files/goexif" {} +
  src="$CACHE/src"
  unpack "$src/libspng_0.7.3.orig.tar.gz" pngsuite 'libspng-0.7.3/tests/images/*.png'
  unpack "$src/libspng_0.7.3.orig.tar.gz" pngsuite-crashers 'libspng-0.7.3/tests/crashers/*.png'
  unpack "$src/libjpeg-turbo_2.1.5.orig.tar.gz" libjpeg-turbo 'libjpeg-turbo-2.1.5/testimages/*.jpg'
  unpack "$src/libwebp_1.2.4.orig.tar.gz" libwebp 'libwebp-1.2.4/*.webp'
  unpack "$src/pillow_9.4.0.orig.tar.xz" pillow 'pillow-9.4.0/Tests/images/*.webp' \
    'pillow-9.4.0/Tests/images/*.jpg' 'pillow-9.4.0/Tests/images/apng/*.png'
  rm -rf "$CACHE/root" "$CACHE/debs" "$CACHE/src"
  touch "$STAMP"
fi
echo "$CACHE/files"
