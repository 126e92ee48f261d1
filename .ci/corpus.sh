#!/usr/bin/env bash
# Public image test files nobody here wrote, for the corpus test: the test
# data that Debian's Go packages ship (Go's image/png PngSuite subset and
# broken PNGs, image/jpeg's subsampling, progressive, CMYK and truncated
# files, golang.org/x/image's lossy, lossless and alpha WebP). BSD-3-Clause,
# like Go. Pinned package versions; kept in a cache outside the clone.
# Prints the directory that holds them.
set -euo pipefail
CACHE="${IMAGE_SERVICE_CORPUS_CACHE:-$HOME/.cache/image-service/corpus}"
PACKAGES=(golang-1.19-src=1.19.8-2 golang-golang-x-image-dev=0.5.0-1)
STAMP="$CACHE/.unpacked-$(printf '%s\n' "${PACKAGES[@]}" | sha256sum | cut -c1-16)"

if [ ! -e "$STAMP" ]; then
  rm -rf "$CACHE"
  mkdir -p "$CACHE/debs" "$CACHE/root"
  (
    cd "$CACHE/debs"
    apt-get download "${PACKAGES[@]}" >/tmp/image-service-corpus-apt.log 2>&1 || {
      apt-get update >>/tmp/image-service-corpus-apt.log 2>&1
      apt-get download "${PACKAGES[@]}" >>/tmp/image-service-corpus-apt.log 2>&1
    }
  ) || { echo "corpus: apt-get download failed, see /tmp/image-service-corpus-apt.log" >&2; exit 1; }
  for deb in "$CACHE"/debs/*.deb; do
    dpkg-deb --fsys-tarfile "$deb" |
      tar -x -C "$CACHE/root" --wildcards \
        './usr/share/go-1.19/src/image/testdata/*' \
        './usr/share/go-1.19/src/image/png/testdata/*' \
        './usr/share/gocode/src/golang.org/x/image/testdata/*' 2>/dev/null || true
  done
  mkdir -p "$CACHE/files"
  cp -r "$CACHE/root/usr/share/go-1.19/src/image/testdata" "$CACHE/files/go-image"
  cp -r "$CACHE/root/usr/share/go-1.19/src/image/png/testdata" "$CACHE/files/go-png"
  cp -r "$CACHE/root/usr/share/gocode/src/golang.org/x/image/testdata" "$CACHE/files/x-image"
  rm -rf "$CACHE/root" "$CACHE/debs"
  touch "$STAMP"
fi
echo "$CACHE/files"
