'use strict';
// Bearer tokens checked the way the original design's API Gateway JWT
// authorizer checked Cognito tokens: RS256 or ES256, key chosen by `kid` from
// a JWKS (here a file), issuer and audience (or an access token's client_id)
// required, 60 s of clock skew allowed.

const crypto = require('node:crypto');
const fs = require('node:fs');
const jwt = require('jsonwebtoken');

const MAX_TOKEN_LENGTH = 8192;

// kid -> { kty, key } for every signing key of the JWKS file
function readJwks(file) {
  const keys = new Map();
  for (const jwk of JSON.parse(fs.readFileSync(file, 'utf8')).keys || []) {
    const signs = !jwk.use || jwk.use === 'sig';
    const supported = jwk.kty === 'RSA' || (jwk.kty === 'EC' && jwk.crv === 'P-256');
    if (jwk.kid && signs && supported) {
      keys.set(jwk.kid, { kty: jwk.kty, key: crypto.createPublicKey({ key: jwk, format: 'jwk' }) });
    }
  }
  return keys;
}

// Who the token names, or the error code of a 401.
function identify(header, { keys, issuer, audiences }) {
  const bearer = /^Bearer +(.*)$/i.exec(header || '');
  const token = bearer ? bearer[1].trim() : '';
  if (!token) return { error: 'MISSING_TOKEN' };
  if (token.length > MAX_TOKEN_LENGTH) return { error: 'INVALID_TOKEN' };
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || !decoded.header || typeof decoded.payload !== 'object') return { error: 'INVALID_TOKEN' };
  const { alg, kid } = decoded.header;
  const known = typeof kid === 'string' ? keys.get(kid) : undefined;
  if (!known || !(alg === 'RS256' ? known.kty === 'RSA' : alg === 'ES256' && known.kty === 'EC')) {
    return { error: 'INVALID_TOKEN' };
  }
  let claims;
  try {
    claims = jwt.verify(token, known.key, { algorithms: [alg], issuer, clockTolerance: 60 });
  } catch (e) {
    return { error: e.name === 'TokenExpiredError' ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN' };
  }
  const tokenAudiences = [].concat(claims.aud === undefined ? [] : claims.aud);
  const forUs = tokenAudiences.some((a) => audiences.includes(a)) || audiences.includes(claims.client_id);
  const usable = claims.token_use === undefined || claims.token_use === 'id' || claims.token_use === 'access';
  if (!forUs || !usable || typeof claims.sub !== 'string' || !claims.sub) return { error: 'INVALID_TOKEN' };
  const groups = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'] : [];
  const has = (role) => claims.role === role || groups.includes(role);
  return { user: { sub: claims.sub, role: has('admin') ? 'admin' : has('moderator') ? 'moderator' : 'user' } };
}

// Express middleware: sets req.user, or answers 401 and records the refusal.
function requireUser(settings, { audit, sendError }) {
  return (req, res, next) => {
    const who = identify(req.headers.authorization, settings);
    if (who.user) {
      req.user = who.user;
      return next();
    }
    audit(req, 'auth.failed', null, 'denied', { code: who.error });
    const message = who.error === 'TOKEN_EXPIRED' ? 'token expired' : 'authentication required';
    res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
    sendError(req, res, 401, who.error, message);
  };
}

module.exports = { readJwks, requireUser };
