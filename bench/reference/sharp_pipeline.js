#!/usr/bin/env node
// The upload pipeline of Image Service, done with Node + sharp (libvips), so
// `image-service bench-pipeline` has something to be timed against.
//
// Each image of CORPUS_DIR goes through the same job as an upload:
//   check   at most 10 MiB, JPEG/PNG/WebP by its first bytes and by libvips'
//           own header reading (the two must agree), at most 100 megapixels;
//   derive  auto-orient from EXIF, strip all metadata, convert to sRGB, then
//           NAME.display.webp  long edge <= 2048, never enlarged, q80, effort 4
//           NAME.thumb.webp    long edge <=  400, never enlarged, q75, effort 4
//           both written to OUT_DIR.
// One image per core is in flight at a time (--concurrency to change it).
//
// usage: node sharp_pipeline.js CORPUS_DIR OUT_DIR
//            [--mode=independent|shared] [--concurrency=N] [--check]
//
//   --mode=independent  (default) display and thumbnail are two pipelines over
//                       the input bytes; each lets libvips shrink on load
//                       (JPEG DCT scaling, scaled WebP decode). This is how
//                       sharp is normally used, and what the figures in
//                       docs/benchmarks.md were taken with.
//   --mode=shared       decode, orient and shrink to the display size once,
//                       then encode the display from those pixels and shrink
//                       them again for the thumbnail: the baseline for a
//                       decode-once design.
//   --check             after the timed run, read every output back and fail
//                       unless it is WebP, bounded, not enlarged, upright and
//                       free of metadata.
//
// sharp (>= 0.33) converts to sRGB and drops EXIF/ICC/XMP unless told to keep
// them, so "strip" and "sRGB" need no call of their own.
'use strict';

const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');

const LIMIT_BYTES = 10 * 1024 * 1024;
const LIMIT_PIXELS = 100_000_000;
const EFFORT = 4;
const OUTPUTS = [
  { suffix: '.display.webp', edge: 2048, quality: 80 },
  { suffix: '.thumb.webp', edge: 400, quality: 75 },
];
const [DISPLAY, THUMB] = OUTPUTS;
const IMAGE_FILE = /\.(jpe?g|png|webp)$/i;
// Treat a corrupt input as an error (as the service does), and let libvips
// refuse oversized images before decoding them.
const DECODE = { failOn: 'error', limitInputPixels: LIMIT_PIXELS };

function usage(why) {
  console.error(`${why}\nusage: node sharp_pipeline.js CORPUS_DIR OUT_DIR [--mode=independent|shared] [--concurrency=N] [--check]`);
  process.exit(2);
}

function readOptions(args) {
  const options = { mode: 'independent', concurrency: os.availableParallelism(), check: false, dirs: [] };
  for (const arg of args) {
    const flag = /^--(mode|concurrency|check)(?:=(.+))?$/.exec(arg);
    if (!flag) {
      if (arg.startsWith('--')) usage(`unknown option ${arg}`);
      options.dirs.push(arg);
    } else if (flag[1] === 'mode') {
      if (flag[2] !== 'independent' && flag[2] !== 'shared') usage(`--mode must be independent or shared`);
      options.mode = flag[2];
    } else if (flag[1] === 'concurrency') {
      options.concurrency = Number(flag[2]);
      if (!(options.concurrency >= 1)) usage('--concurrency must be a positive number');
    } else {
      options.check = true;
    }
  }
  if (options.dirs.length !== 2) usage('need CORPUS_DIR and OUT_DIR');
  return options;
}

// The format by its magic bytes; null for anything the service would refuse.
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
function formatOf(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}

const webpOf = (pipeline, output) =>
  pipeline
    .resize({ width: output.edge, height: output.edge, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: output.quality, effort: EFFORT })
    .toBuffer();

async function derive(bytes, mode) {
  if (mode === 'independent') {
    return Promise.all(OUTPUTS.map((output) => webpOf(sharp(bytes, DECODE).rotate(), output)));
  }
  const shrunk = await sharp(bytes, DECODE)
    .rotate()
    .resize({ width: DISPLAY.edge, height: DISPLAY.edge, fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = () => sharp(shrunk.data, { raw: shrunk.info });
  return Promise.all([
    pixels().webp({ quality: DISPLAY.quality, effort: EFFORT }).toBuffer(),
    webpOf(pixels(), THUMB),
  ]);
}

const stemIn = (outDir, file) => path.join(outDir, path.basename(file).replace(IMAGE_FILE, ''));

async function processImage(file, options) {
  const bytes = await fsp.readFile(file);
  if (bytes.length > LIMIT_BYTES) throw new Error(`${file}: ${bytes.length} bytes, over 10 MiB`);
  const sniffed = formatOf(bytes);
  if (!sniffed) throw new Error(`${file}: not JPEG, PNG or WebP`);
  const header = await sharp(bytes, DECODE).metadata();
  if (header.format !== sniffed) throw new Error(`${file}: starts like ${sniffed} but decodes as ${header.format}`);
  const pixels = header.width * header.height;
  if (!(pixels > 0) || pixels > LIMIT_PIXELS) throw new Error(`${file}: ${header.width}x${header.height} is out of bounds`);

  const encoded = await derive(bytes, options.mode);
  const stem = stemIn(options.dirs[1], file);
  await Promise.all(encoded.map((data, i) => fsp.writeFile(stem + OUTPUTS[i].suffix, data)));
  return { pixels, bytes: encoded.reduce((sum, data) => sum + data.length, 0) };
}

async function checkOutputs(files, outDir) {
  let checked = 0;
  for (const file of files) {
    const input = await sharp(file).metadata();
    const turned = (input.orientation || 1) >= 5; // tags 5..8 swap width and height
    const [width, height] = turned ? [input.height, input.width] : [input.width, input.height];
    for (const output of OUTPUTS) {
      const name = stemIn(outDir, file) + output.suffix;
      const got = await sharp(name).metadata();
      const problems = [];
      const expectedLong = Math.min(output.edge, Math.max(width, height));
      if (got.format !== 'webp') problems.push(`is ${got.format}`);
      if (Math.max(got.width, got.height) !== expectedLong) problems.push(`long edge ${Math.max(got.width, got.height)}, expected ${expectedLong}`);
      if (got.width >= got.height !== width >= height) problems.push(`${got.width}x${got.height} is not upright for ${width}x${height}`);
      const aspectSlack = 0.01 * (width / height) + 1 / Math.min(got.width, got.height);
      if (Math.abs(got.width / got.height - width / height) > aspectSlack) problems.push(`aspect ${got.width}x${got.height} against ${width}x${height}`);
      if (got.exif || got.icc || got.xmp || got.iptc) problems.push('metadata kept');
      if (got.orientation && got.orientation !== 1) problems.push(`orientation tag ${got.orientation}`);
      if (problems.length) throw new Error(`${name}: ${problems.join('; ')}`);
      checked++;
    }
  }
  console.log(`check: ${checked} outputs are WebP, bounded, never enlarged, upright, without metadata`);
}

async function main() {
  const options = readOptions(process.argv.slice(2));
  const [corpus, outDir] = options.dirs;
  const files = fs.readdirSync(corpus).filter((name) => IMAGE_FILE.test(name)).sort().map((name) => path.join(corpus, name));
  fs.mkdirSync(outDir, { recursive: true });

  const totals = { images: 0, pixels: 0, bytes: 0 };
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const done = await processImage(files[next++], options);
      totals.images++;
      totals.pixels += done.pixels;
      totals.bytes += done.bytes;
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const megapixels = totals.pixels / 1e6;
  console.log([
    `mode=${options.mode} concurrency=${options.concurrency} vips_threads=${sharp.concurrency()}`,
    `sharp=${sharp.versions.sharp} libvips=${sharp.versions.vips} libwebp=${sharp.versions.webp}`,
    `images=${totals.images} seconds=${seconds.toFixed(3)} images_per_s=${(totals.images / seconds).toFixed(2)}`,
    `input_MP=${megapixels.toFixed(1)} MP_per_s=${(megapixels / seconds).toFixed(1)} output_bytes=${totals.bytes}`,
  ].join(' '));
  if (options.check) await checkOutputs(files, outDir);
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exit(1);
});
