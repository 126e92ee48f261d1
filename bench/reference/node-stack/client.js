'use strict';
// The load test's client side for the Node stack (used by load.sh):
//
//   node client.js keys DIR                      DIR/private.pem and DIR/jwks.json (RS256)
//   node client.js token DIR SUB [TTL_S]         prints a Cognito-shaped ID token
//   node client.js seed BASE TOKEN N             N distinct 640x480 JPEGs through POST /images, 2 at a time
//   node client.js targets BASE TOKEN OUT        every image of the token's user, one "token<TAB>id"
//                                                line each: the input of bench/lua/users.lua
//   node client.js smoke BASE TOKEN_A TOKEN_B DIR  the hot routes' shapes and refusals
//
// Issuer and audience come from IMAGE_SERVICE_AUTH_ISSUER and _AUDIENCE, as for the server.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const jwt = require('jsonwebtoken');
const sharp = require('sharp');

const ISSUER = process.env.IMAGE_SERVICE_AUTH_ISSUER;
const AUDIENCE = (process.env.IMAGE_SERVICE_AUTH_AUDIENCE || '').split(',')[0];
const KID = 'node-stack-rs256';

function keys(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  fs.writeFileSync(path.join(dir, 'private.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' };
  fs.writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }, null, 2));
}

// The claims of a Cognito ID token (about 900 bytes signed), so that the
// server verifies and parses what it would in production.
function token(dir, sub, ttlSeconds = 7200, changes = {}) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub, aud: AUDIENCE, email_verified: true, token_use: 'id', auth_time: now,
    'cognito:username': sub, email: `${sub}@example.com`, iat: now, exp: now + Number(ttlSeconds),
    event_id: crypto.randomUUID(), origin_jti: crypto.randomUUID(), jti: crypto.randomUUID(), ...changes,
  };
  for (const name of Object.keys(claims)) if (claims[name] === undefined) delete claims[name];
  const privateKey = fs.readFileSync(path.join(dir, 'private.pem'));
  return jwt.sign(claims, privateKey, { algorithm: 'RS256', keyid: KID, issuer: ISSUER, noTimestamp: true });
}

function upload(base, bearer, fields, file) {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  if (file) form.append('file', new Blob([file.data], { type: file.type }), file.name);
  return fetch(`${base}/images`, { method: 'POST', body: form, headers: { authorization: `Bearer ${bearer}` } });
}

// A different small photo-like JPEG for each n: gradients plus noise.
function sampleJpeg(n) {
  const width = 640, height = 480;
  const pixels = Buffer.alloc(width * height * 3);
  let state = ((n + 1) * 2654435761) >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      const noise = (state >>> 24) & 31;
      const at = (y * width + x) * 3;
      pixels[at] = ((x * 255) / width + n * 13 + noise) & 255;
      pixels[at + 1] = ((y * 255) / height + noise) & 255;
      pixels[at + 2] = ((x + y) * 2 + n * 7) & 255;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

async function seed(base, bearer, count) {
  let next = 0;
  const uploader = async () => {
    for (let n = next++; n < count; n = next++) {
      const response = await upload(base, bearer, [
        ['title', `MOC build #${n}`], ['description', `Seeded image ${n} of the Node stack load test.`],
        ['altText', `LEGO model ${n}`], ['tags', 'castle'], ['tags', 'moc'], ['tags', `set-${n % 10}`],
      ], { name: `moc-${n}.jpg`, type: 'image/jpeg', data: await sampleJpeg(n) });
      if (response.status !== 201) throw new Error(`upload ${n}: ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all([uploader(), uploader()]);
  console.log(`seeded ${count}`);
}

async function targets(base, bearer, out) {
  const ids = [];
  let cursor = null;
  do {
    const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const response = await fetch(`${base}/images?limit=100${query}`, { headers: { authorization: `Bearer ${bearer}` } });
    if (response.status !== 200) throw new Error(`GET /images: ${response.status}`);
    const page = await response.json();
    ids.push(...page.items.map((image) => image.id));
    cursor = page.nextCursor;
  } while (cursor);
  if (new Set(ids).size !== ids.length) throw new Error('an id came back on two pages');
  fs.writeFileSync(out, ids.map((id) => `${bearer}\t${id}\n`).join(''));
  console.log(`${ids.length} targets`);
}

async function smoke(base, alice, bob, dir) {
  const failures = [];
  const expect = (what, ok, seen) => ok || failures.push(`${what} (got ${seen})`);
  const get = (route, bearer) => fetch(base + route, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  const codeOf = async (response) => `${response.status} ${(await response.json()).code}`;

  const health = await get('/healthz');
  expect('healthz answers 200 with security headers and a request id',
    health.status === 200 && health.headers.get('x-content-type-options') === 'nosniff' && health.headers.get('x-request-id'),
    health.status);

  const first = await (await get('/images?limit=2', alice)).json();
  const image = first.items[0];
  const fieldsOfImage = ['id', 'userId', 'albumId', 'title', 'description', 'altText', 'tags', 'contentType', 'width',
    'height', 'size', 'thumbnail', 'original', 'urls', 'version', 'createdAt', 'updatedAt'];
  expect('a list page has the Image shape', fieldsOfImage.every((f) => f in image) && typeof first.nextCursor === 'string',
    Object.keys(image).join(','));
  const second = await (await get(`/images?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`, alice)).json();
  expect('the next page goes on where the first stopped', second.items[0].id !== first.items[1].id &&
    second.items[0].createdAt <= first.items[1].createdAt, second.items[0].id);
  let code = await codeOf(await get(`/images?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`, bob));
  expect("another user's cursor is 400 INVALID_CURSOR", code === '400 INVALID_CURSOR', code);
  code = await codeOf(await get('/images?limit=0', alice));
  expect('limit=0 is 400 VALIDATION_ERROR', code === '400 VALIDATION_ERROR', code);

  const own = await get(`/images/${image.id}`, alice);
  expect('the owner reads an image', own.status === 200 && (await own.json()).userId === 'alice', own.status);
  code = await codeOf(await get(`/images/${image.id}`, bob));
  expect('another user gets 403 NOT_AUTHORIZED', code === '403 NOT_AUTHORIZED', code);
  code = await codeOf(await get('/images/01ARZ3NDEKTSV4RRFFQ69G5FAV', alice));
  expect('an unknown id is 404 NOT_FOUND', code === '404 NOT_FOUND', code);
  code = await codeOf(await get(`/images/${image.id}`));
  expect('no token is 401 MISSING_TOKEN', code === '401 MISSING_TOKEN', code);
  code = await codeOf(await get(`/images/${image.id}`, token(dir, 'alice', -120)));
  expect('an expired token is 401 TOKEN_EXPIRED', code === '401 TOKEN_EXPIRED', code);
  code = await codeOf(await get(`/images/${image.id}`, token(dir, 'alice', 600, { aud: 'someone-else' })));
  expect('another audience is 401 INVALID_TOKEN', code === '401 INVALID_TOKEN', code);

  const created = await upload(base, alice, [['tags', '["a","b"]']],
    { name: 'a.jpg', type: 'image/jpeg', data: await sampleJpeg(999) });
  const body = await created.json();
  expect('an upload is 201 with its Location', created.status === 201 && created.headers.get('location') === `/images/${body.id}` &&
    body.tags.join() === 'a,b' && body.width === 640 && body.thumbnail.width === 400, `${created.status} ${JSON.stringify(body)}`);
  const fake = await upload(base, alice, [], { name: 'a.jpg', type: 'image/jpeg', data: Buffer.from('GIF89a, not a JPEG') });
  code = await codeOf(fake);
  expect('bytes that are no image are 400 UNSUPPORTED_FILE_TYPE', code === '400 UNSUPPORTED_FILE_TYPE', code);

  if (failures.length) {
    console.log(`smoke FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('smoke ok');
}

const [command, ...args] = process.argv.slice(2);
const commands = {
  keys: () => keys(args[0]),
  token: () => console.log(token(args[0], args[1], args[2] || 7200)),
  seed: () => seed(args[0], args[1], Number(args[2] || 200)),
  targets: () => targets(args[0], args[1], args[2]),
  smoke: () => smoke(...args),
};
if (!commands[command]) {
  console.error('usage: node client.js keys|token|seed|targets|smoke ...');
  process.exit(2);
}
Promise.resolve(commands[command]()).catch((error) => {
  console.error(error.stack || error);
  process.exit(1);
});
