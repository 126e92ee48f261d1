'use strict';
// The original design of Image Service (TypeScript Lambdas behind API Gateway
// with a JWT authorizer, DynamoDB, S3, sharp), folded into one Express 4
// process so that its hot routes can be load-tested on the same machine as
// the Rust service: GET /healthz, GET /images/{id}, GET /images, POST /images.
// A benchmark reference only: no other routes, no rate limits.
//
// Settings (environment), named as the service names them:
//   IMAGE_SERVICE_LISTEN          host:port (127.0.0.1:8080)
//   IMAGE_SERVICE_DATA_DIR        SQLite file, blobs and generated keys (./data)
//   IMAGE_SERVICE_AUTH_ISSUER     required
//   IMAGE_SERVICE_AUTH_AUDIENCE   required, comma-separated
//   IMAGE_SERVICE_AUTH_JWKS_FILE  required (no fetching of JWKS URLs)
// One JSON line per request goes to standard output (pino).

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const express = require('express');
const pino = require('pino');
const sharp = require('sharp');
const { readJwks, requireUser } = require('./auth');
const { openStore } = require('./store');
const { imageRoutes, ApiError } = require('./images');

function refuse(message) {
  process.stderr.write(`config error: ${message}\n`);
  process.exit(2);
}

const env = process.env;
const listen = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(env.IMAGE_SERVICE_LISTEN || '127.0.0.1:8080');
if (!listen) refuse('IMAGE_SERVICE_LISTEN must be host:port');
const audiences = (env.IMAGE_SERVICE_AUTH_AUDIENCE || '').split(',').map((a) => a.trim()).filter(Boolean);
for (const name of ['IMAGE_SERVICE_AUTH_ISSUER', 'IMAGE_SERVICE_AUTH_AUDIENCE', 'IMAGE_SERVICE_AUTH_JWKS_FILE']) {
  if (!env[name]) refuse(`${name} must be set`);
}
const dataDir = path.resolve(env.IMAGE_SERVICE_DATA_DIR || './data');
fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });

// A 32-byte key: given in base64, or made once and kept in the data dir.
function key(name, file) {
  let text = env[name];
  if (!text) {
    const kept = path.join(dataDir, file);
    if (!fs.existsSync(kept)) fs.writeFileSync(kept, crypto.randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    text = fs.readFileSync(kept, 'utf8').trim();
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== 32) refuse(`${name} must be 32 bytes in base64`);
  return bytes;
}

let keys;
try {
  keys = readJwks(env.IMAGE_SERVICE_AUTH_JWKS_FILE);
} catch (e) {
  refuse(`cannot read IMAGE_SERVICE_AUTH_JWKS_FILE: ${e.message}`);
}
if (keys.size === 0) refuse('IMAGE_SERVICE_AUTH_JWKS_FILE holds no usable signing key');

const store = openStore(dataDir, key('IMAGE_SERVICE_ENCRYPTION_KEY', 'encryption.key'));
const log = pino({
  base: null,
  messageKey: 'msg',
  timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
  formatters: { level: (label) => ({ level: label }) },
});

const ERROR_NAMES = {
  400: 'ValidationError', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  413: 'PayloadTooLarge', 415: 'UnsupportedMediaType', 500: 'InternalError',
};
function sendError(req, res, status, code, message, details) {
  const body = { error: ERROR_NAMES[status] || 'Error', code, message, requestId: req.id };
  if (details) body.details = details;
  res.status(status).json(body);
}

function audit(req, action, target, outcome, details) {
  const actor = req.user ? req.user.sub : null;
  try {
    store.audit({ time: new Date().toISOString(), requestId: req.id, actor, action, target, outcome, details });
  } catch (err) {
    log.error({ err, requestId: req.id }, 'audit write failed');
  }
  log.info({ audit: true, requestId: req.id, actor, action, target, outcome }, 'audit');
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false); // bodies hold expiring signed URLs: an ETag would never match twice

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const SECURITY_HEADERS = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'X-XSS-Protection': '1; mode=block',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};
app.use((req, res, next) => {
  const given = req.headers['x-request-id'];
  req.id = typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  const started = process.hrtime.bigint();
  res.set({ ...SECURITY_HEADERS, 'X-Request-Id': req.id });
  res.on('finish', () => log.info({
    requestId: req.id,
    userId: req.user ? req.user.sub : null,
    operation: req.operation || `${req.method} ${req.route ? req.route.path : req.path}`,
    imageId: req.imageId || null,
    key: req.blobKey || null,
    fileSize: req.fileSize || null,
    status: res.statusCode,
    durationMs: Number(process.hrtime.bigint() - started) / 1e6,
  }, 'request'));
  next();
});

app.get('/healthz', (req, res) => {
  req.operation = 'healthz';
  res.json({ status: 'ok' });
});

const authSettings = { keys, issuer: env.IMAGE_SERVICE_AUTH_ISSUER, audiences };
imageRoutes(app, {
  store,
  audit,
  requireUser: requireUser(authSettings, { audit, sendError }),
  urlKey: key('IMAGE_SERVICE_URL_SIGNING_KEY', 'url-signing.key'),
});

app.all(['/images', '/images/:id', '/healthz'], (req, res) => {
  res.set('Allow', req.path === '/images' ? 'GET, POST' : 'GET');
  sendError(req, res, 405, 'METHOD_NOT_ALLOWED', 'method not allowed');
});
app.use((req, res) => sendError(req, res, 404, 'NOT_FOUND', 'not found'));
// Four arguments make this Express' error handler; the cause is logged, never sent.
// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  if (err instanceof ApiError) return sendError(req, res, err.status, err.code, err.message, err.details);
  log.error({ err, requestId: req.id }, 'unhandled error');
  sendError(req, res, 500, 'INTERNAL_ERROR', 'internal error');
});

const host = listen[1] || listen[2];
const server = app.listen(Number(listen[3]), host, () => log.info({
  listen: `${host}:${listen[3]}`, dataDir, pid: process.pid, sharp: sharp.versions.sharp, vips: sharp.versions.vips,
}, 'node stack listening'));
const stop = () => {
  server.close(() => {
    store.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
