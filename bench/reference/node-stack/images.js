'use strict';
// The image routes of the Node stack: GET /images/{id}, GET /images and
// POST /images, with the contract's JSON shapes (docs/API.md, "Image").

const crypto = require('node:crypto');
const multer = require('multer');
const sharp = require('sharp');
const { z } = require('zod');

const MAX_FILE_BYTES = 10 * 1024 * 1024;
const MAX_PIXELS = 50_000_000;
const MAX_SIDE = 16384;
const DISPLAY = { edge: 2048, quality: 80 };
const THUMB = { edge: 400, quality: 75 };
const URL_LIFETIME_S = 3600;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    Object.assign(this, { status, code, details });
  }
}
const invalid = (message, field, why) => new ApiError(400, 'VALIDATION_ERROR', message, [{ field, message: why }]);

// 48 bits of milliseconds then 80 random bits, in Crockford base 32.
function newUlid() {
  let time = Date.now();
  let text = '';
  for (let i = 0; i < 10; i++, time = Math.floor(time / 32)) text = CROCKFORD[time % 32] + text;
  for (const byte of crypto.randomBytes(16)) text += CROCKFORD[byte % 32];
  return text;
}

const base64url = (data) => Buffer.from(data).toString('base64url');

// What the upload's first bytes say it is, as a MIME type.
function sniff(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 8).equals(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'))) return 'image/png';
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

// Validation as the original design's Zod schemas had it.
const NO_CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F]/;
const text = (max) => z.string()
  .refine((s) => [...s].length <= max, { message: `at most ${max} characters` })
  .refine((s) => !NO_CONTROLS.test(s), { message: 'control characters are not allowed' });
const uploadFields = z.object({
  albumId: z.string().uuid().optional(),
  title: text(255).optional(),
  description: text(5000).optional(),
  altText: text(255).optional(),
  tags: z.array(text(50).refine((s) => s.length > 0, { message: 'must not be empty' })).max(20).optional(),
}).strict();
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(1024).optional(),
  albumId: z.string().uuid().optional(),
  sortOrder: z.enum(['asc', 'desc']).default('desc'),
}).strict();
const issuesOf = (error) => error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));

// Form fields as the schema wants them: tags repeated, or one JSON array.
function formFields(body) {
  const fields = {};
  for (const [name, value] of Object.entries(body || {})) {
    if (name === 'tags') {
      if (Array.isArray(value)) fields.tags = value;
      else if (value.trim().startsWith('[')) {
        try { fields.tags = JSON.parse(value); } catch { fields.tags = value; }
      } else fields.tags = [value];
    } else if (value !== '') {
      fields[name] = value; // a repeated scalar arrives as an array; the schema refuses it
    }
  }
  return fields;
}

function imageRoutes(app, { store, requireUser, audit, urlKey }) {
  // Signed, expiring file URLs (the original design's CloudFront signed URLs).
  const signedUrl = (key, expires) => {
    const payload = base64url(`${key}|${expires}`);
    return `/files/${payload}.${crypto.createHmac('sha256', urlKey).update(payload).digest('base64url')}`;
  };
  const asImage = (row, nowS) => {
    const expires = nowS + URL_LIFETIME_S;
    return {
      id: row.id, userId: row.user_id, albumId: row.album_id,
      title: row.title, description: row.description, altText: row.alt_text, tags: JSON.parse(row.tags),
      contentType: row.content_type, width: row.width, height: row.height, size: row.size,
      thumbnail: { width: row.thumb_width, height: row.thumb_height, size: row.thumb_size },
      original: {
        contentType: row.orig_content_type, width: row.orig_width, height: row.orig_height,
        size: row.orig_size, filename: row.orig_filename,
      },
      urls: {
        display: signedUrl(row.image_key, expires),
        thumbnail: signedUrl(row.thumb_key, expires),
        expiresAt: new Date(expires * 1000).toISOString(),
      },
      version: row.version, createdAt: row.created_at, updatedAt: row.updated_at,
    };
  };
  const nowS = () => Math.floor(Date.now() / 1000);

  // A cursor is bound to its user and its query by an HMAC.
  const cursorKey = crypto.createHash('sha256').update('cursor\0').update(urlKey).digest();
  const cursorMac = (user, payload) => crypto.createHmac('sha256', cursorKey).update(user).update('\0').update(payload).digest();
  const cursorAfter = (user, order, albumId, row) => {
    const payload = base64url(JSON.stringify({ c: row.created_at, i: row.id, o: order, a: albumId || null }));
    return `${payload}.${cursorMac(user, payload).toString('base64url')}`;
  };
  const readCursor = (user, order, albumId, cursor) => {
    const refused = new ApiError(400, 'INVALID_CURSOR', 'invalid cursor');
    const [payload, mac, ...rest] = cursor.split('.');
    const given = Buffer.from(mac || '', 'base64url');
    const expected = cursorMac(user, payload);
    if (!payload || rest.length || given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw refused;
    let position;
    try { position = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')); } catch { throw refused; }
    const sameQuery = position && position.o === order && position.a === (albumId || null);
    if (!sameQuery || typeof position.c !== 'string' || typeof position.i !== 'string') throw refused;
    return { createdAt: position.c, id: position.i };
  };

  app.get('/images/:id', requireUser, (req, res) => {
    req.operation = 'getImage';
    const row = ULID.test(req.params.id) ? store.image(req.params.id) : undefined;
    if (!row) throw new ApiError(404, 'NOT_FOUND', 'image not found');
    req.imageId = row.id;
    if (row.user_id !== req.user.sub && req.user.role === 'user') {
      audit(req, 'access.denied', row.id, 'denied', { route: 'GET /images/{id}' });
      throw new ApiError(403, 'NOT_AUTHORIZED', 'not authorized');
    }
    res.json(asImage(row, nowS()));
  });

  app.get('/images', requireUser, (req, res) => {
    req.operation = 'listImages';
    const query = listQuery.safeParse(req.query);
    if (!query.success) throw new ApiError(400, 'VALIDATION_ERROR', 'invalid query parameters', issuesOf(query.error));
    const { limit, cursor, albumId, sortOrder } = query.data;
    const user = req.user.sub;
    const after = cursor ? readCursor(user, sortOrder, albumId, cursor) : null;
    const rows = store.page({ userId: user, order: sortOrder, albumId, after, limit });
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    const now = nowS();
    res.json({
      items: items.map((row) => asImage(row, now)),
      nextCursor: more ? cursorAfter(user, sortOrder, albumId, items[items.length - 1]) : null,
    });
  });

  const receiveFile = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 40, fieldSize: 16 * 1024, parts: 50 },
  }).single('file');
  const receive = (req, res) => new Promise((resolve, reject) => receiveFile(req, res, (error) => {
    if (!error) return resolve();
    if (error.code === 'LIMIT_FILE_SIZE') return reject(new ApiError(413, 'FILE_TOO_LARGE', 'file exceeds 10 MiB'));
    reject(invalid('invalid multipart body', error.field || '(body)', error.message));
  }));

  // Express 4 does not see a rejected promise: hand it to the error handler.
  const settled = (handler) => (req, res, next) => handler(req, res).catch(next);

  app.post('/images', requireUser, settled(async (req, res) => {
    req.operation = 'uploadImage';
    if (!req.is('multipart/form-data')) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'expected multipart/form-data');
    if (Number(req.headers['content-length']) > MAX_FILE_BYTES + 256 * 1024) {
      throw new ApiError(413, 'FILE_TOO_LARGE', 'file exceeds 10 MiB');
    }
    await receive(req, res);
    const file = req.file;
    if (!file) throw invalid('file is required', 'file', 'required');
    const fields = uploadFields.safeParse(formFields(req.body));
    if (!fields.success) throw new ApiError(400, 'VALIDATION_ERROR', 'invalid fields', issuesOf(fields.error));
    const filename = file.originalname || null;
    if (filename && ([...filename].length > 255 || NO_CONTROLS.test(filename))) {
      throw invalid('invalid filename', 'filename', 'at most 255 characters, no control characters');
    }
    const user = req.user.sub;
    const { albumId, title, description, altText, tags } = fields.data;
    if (albumId && !store.ownsAlbum(albumId, user)) throw invalid('unknown album', 'albumId', 'not an album you own');

    const type = sniff(file.buffer);
    if (!['image/jpeg', 'image/png', 'image/webp'].includes(file.mimetype) || !type) {
      throw new ApiError(400, 'UNSUPPORTED_FILE_TYPE', 'file is not JPEG, PNG or WebP');
    }
    const header = await sharp(file.buffer).metadata().catch(() => ({}));
    if (!header.width || !header.height) throw new ApiError(400, 'INVALID_IMAGE', 'image cannot be decoded');
    if (header.width * header.height > MAX_PIXELS || Math.max(header.width, header.height) > MAX_SIDE) {
      throw new ApiError(400, 'IMAGE_TOO_LARGE', 'image exceeds 50 megapixels or 16384 px per side');
    }
    if ((header.pages || 1) > 1) throw new ApiError(400, 'INVALID_IMAGE', 'animated images are not accepted');
    const turned = header.orientation >= 5;
    const shown = turned ? { width: header.height, height: header.width } : { width: header.width, height: header.height };

    // Two pipelines over the upload (sharp orients, strips and converts to sRGB by default).
    const webp = ({ edge, quality }) => sharp(file.buffer, { limitInputPixels: MAX_PIXELS })
      .rotate()
      .resize(edge, edge, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality })
      .toBuffer({ resolveWithObject: true });
    const [display, thumb] = await Promise.all([webp(DISPLAY), webp(THUMB)]).catch(() => {
      throw new ApiError(400, 'INVALID_IMAGE', 'image cannot be decoded');
    });

    const id = newUlid();
    const owner = base64url(user); // safe in a path whatever the subject holds
    const row = {
      id, user_id: user, album_id: albumId || null,
      title: title ?? null, description: description ?? null, alt_text: altText ?? null, tags: JSON.stringify(tags || []),
      content_type: 'image/webp', width: display.info.width, height: display.info.height, size: display.info.size,
      thumb_width: thumb.info.width, thumb_height: thumb.info.height, thumb_size: thumb.info.size,
      orig_content_type: type, orig_width: shown.width, orig_height: shown.height,
      orig_size: file.size, orig_filename: filename,
      image_key: `images/${owner}/${id}.webp`, thumb_key: `thumbnails/${owner}/${id}.webp`,
    };
    Object.assign(req, { imageId: id, blobKey: row.image_key, fileSize: file.size });
    await Promise.all([store.putBlob(row.image_key, display.data), store.putBlob(row.thumb_key, thumb.data)]);
    row.created_at = row.updated_at = new Date().toISOString();
    store.insertWithAudit(row, req.id);
    res.status(201).location(`/images/${id}`).json(asImage({ ...row, version: 1 }, nowS()));
  }));
}

module.exports = { imageRoutes, ApiError };
