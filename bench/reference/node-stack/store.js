'use strict';
// Metadata and blobs of the Node stack. The original design kept rows in
// DynamoDB (a table plus a userId/createdAt index) and blobs in S3 with
// server-side encryption; on one machine they become one SQLite file opened
// with better-sqlite3 and AES-256-GCM files under DATA_DIR/blobs.

const crypto = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const Database = require('better-sqlite3');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS albums (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, title TEXT NOT NULL, description TEXT,
  version INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, album_id TEXT,
  title TEXT, description TEXT, alt_text TEXT, tags TEXT NOT NULL DEFAULT '[]',
  content_type TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, size INTEGER NOT NULL,
  thumb_width INTEGER NOT NULL, thumb_height INTEGER NOT NULL, thumb_size INTEGER NOT NULL,
  orig_content_type TEXT NOT NULL, orig_width INTEGER NOT NULL, orig_height INTEGER NOT NULL,
  orig_size INTEGER NOT NULL, orig_filename TEXT,
  image_key TEXT NOT NULL, thumb_key TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
-- what the DynamoDB index on (userId, createdAt) served
CREATE INDEX IF NOT EXISTS images_by_user ON images (user_id, created_at, id);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, request_id TEXT, actor TEXT,
  action TEXT NOT NULL, target TEXT, outcome TEXT NOT NULL, details TEXT
);
`;

const IMAGE_COLUMNS = [
  'id', 'user_id', 'album_id', 'title', 'description', 'alt_text', 'tags',
  'content_type', 'width', 'height', 'size', 'thumb_width', 'thumb_height', 'thumb_size',
  'orig_content_type', 'orig_width', 'orig_height', 'orig_size', 'orig_filename',
  'image_key', 'thumb_key', 'created_at', 'updated_at',
];

function openStore(dataDir, encryptionKey) {
  const db = new Database(path.join(dataDir, 'metadata.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL'); // a 201 promises the row survives a crash
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);

  const statements = {
    image: db.prepare('SELECT * FROM images WHERE id = ?'),
    insertImage: db.prepare(
      `INSERT INTO images (${IMAGE_COLUMNS.join(', ')}) VALUES (${IMAGE_COLUMNS.map((c) => '@' + c).join(', ')})`),
    ownsAlbum: db.prepare('SELECT 1 FROM albums WHERE id = ? AND user_id = ?'),
    audit: db.prepare(
      'INSERT INTO audit (time, request_id, actor, action, target, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?)'),
  };

  // A keyset page over (created_at, id), one prepared statement for each
  // combination of direction, album filter and cursor.
  const pages = new Map();
  for (const order of ['asc', 'desc']) {
    for (const album of [false, true]) {
      for (const after of [false, true]) {
        const beyond = order === 'desc' ? '<' : '>';
        pages.set(`${order}/${album}/${after}`, db.prepare(`SELECT * FROM images WHERE user_id = ?
          ${album ? 'AND album_id = ?' : ''} ${after ? `AND (created_at, id) ${beyond} (?, ?)` : ''}
          ORDER BY created_at ${order}, id ${order} LIMIT ?`));
      }
    }
  }

  const insertWithAudit = db.transaction((row, requestId) => {
    statements.insertImage.run(row);
    statements.audit.run(row.created_at, requestId, row.user_id, 'image.create', row.id, 'success',
      JSON.stringify({ key: row.image_key, size: row.size }));
  });

  const blobDir = path.join(dataDir, 'blobs');
  fs.mkdirSync(blobDir, { recursive: true, mode: 0o700 });

  return {
    image: (id) => statements.image.get(id),
    ownsAlbum: (albumId, userId) => Boolean(statements.ownsAlbum.get(albumId, userId)),
    // rows of one page, plus one more row to tell whether another page follows
    page({ userId, order, albumId, after, limit }) {
      const args = [userId];
      if (albumId) args.push(albumId);
      if (after) args.push(after.createdAt, after.id);
      args.push(limit + 1);
      return pages.get(`${order}/${Boolean(albumId)}/${Boolean(after)}`).all(...args);
    },
    insertWithAudit,
    audit: (entry) => statements.audit.run(entry.time, entry.requestId, entry.actor, entry.action,
      entry.target, entry.outcome, entry.details ? JSON.stringify(entry.details) : null),
    // Durable before it is named: write a temporary file, fsync, rename.
    async putBlob(key, plain) {
      const file = path.join(blobDir, key);
      await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const temporary = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
      const handle = await fsp.open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(seal(encryptionKey, key, plain));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsp.rename(temporary, file);
    },
    close: () => db.close(),
  };
}

// nonce | ciphertext | tag, the blob key bound in as associated data
function seal(key, blobKey, plain) {
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(blobKey));
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, sealed, cipher.getAuthTag()]);
}

module.exports = { openStore };
