// A real OpenID Connect provider (panva's certified `oidc-provider`) for the
// interop tests: `node provider.mjs CONFIG.json`. Prints `READY <issuer>` once
// it listens on 127.0.0.1; logs go to stderr. The config (written by the test):
//   port        0 for any free port, or a port to reuse (restart after rotation)
//   keys_file   private JWKS; generated (one RSA, one P-256 key) when missing
//   audience    the resource indicator of the API (the service's audience)
//   clients     [{ client_id, client_secret?, grant_types, redirect_uris?,
//                  access_token_alg?: "RS256" | "ES256", extra_claims? }]
// Access tokens are RFC 9068 JWTs (`typ: at+jwt`) for `audience`, or for any
// other resource a test asks for (to prove other-API tokens are refused).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const SCOPES = 'images:read images:write';

function loadOrGenerateKeys(path) {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8'));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const keys = {
    keys: [
      { ...rsa, kid: `rsa-${randomUUID()}`, alg: 'RS256', use: 'sig' },
      { ...ec, kid: `ec-${randomUUID()}`, alg: 'ES256', use: 'sig' },
    ],
  };
  writeFileSync(path, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

const clientsById = new Map(config.clients.map((c) => [c.client_id, c]));
// oidc-provider refuses unknown client metadata: keep our own fields apart.
const clients = config.clients.map(({ access_token_alg, extra_claims, ...metadata }) => ({
  token_endpoint_auth_method: metadata.client_secret ? 'client_secret_post' : 'none',
  response_types: metadata.redirect_uris ? ['code'] : [],
  redirect_uris: [],
  ...metadata,
}));

function resourceServer(indicator, client) {
  const alg = clientsById.get(client.clientId)?.access_token_alg ?? 'RS256';
  return {
    scope: SCOPES,
    audience: indicator,
    accessTokenTTL: 600,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg } },
  };
}

const server = createServer();
await new Promise((resolve) => { server.listen(config.port ?? 0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  jwks: loadOrGenerateKeys(config.keys_file),
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  scopes: ['openid', 'offline_access', ...SCOPES.split(' ')],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => config.audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator, client) => resourceServer(indicator, client),
    },
  },
  extraTokenClaims: (_ctx, token) => clientsById.get(token.clientId)?.extra_claims,
  ttl: { AccessToken: 600, ClientCredentials: 600, IdToken: 600, Interaction: 600, Grant: 600, Session: 600, AuthorizationCode: 60 },
  cookies: { keys: ['interop-tests-only'] },
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

server.on('request', provider.callback());
process.on('SIGTERM', () => process.exit(0));
console.log(`READY ${issuer}`);
