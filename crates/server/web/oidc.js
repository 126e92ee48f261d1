// Sign-in through the identity provider: OpenID Connect authorization code
// flow with PKCE, as a public client. Endpoints come from the provider's
// discovery document. Only the PKCE verifier and state wait in
// sessionStorage across the redirect; the token itself stays in memory.

const PENDING = "image-service-sign-in";

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function random() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function discover(issuer) {
  const response = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error("The identity provider cannot be reached.");
  return response.json();
}

/** Sends the browser to the provider's sign-in page. */
export async function beginSignIn(issuer, clientId) {
  const provider = await discover(issuer);
  const verifier = random();
  const state = random();
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL(provider.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: redirectUri(),
    scope: "openid images:read images:write",
    code_challenge: challenge,
    code_challenge_method: "S256",
    state,
  }).toString();
  location.assign(url.toString());
}

export function redirectUri() {
  return `${location.origin}/`;
}

/**
 * Back from the provider with `?code=&state=`: exchanges the code for tokens
 * and cleans the address bar. `null` when this is not such a return.
 */
export async function finishSignIn(issuer, clientId) {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  if (!params.has("code") && !params.has("error")) return null;
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", `${location.pathname}${location.hash}`);
  if (params.has("error")) throw new Error(`Sign-in failed: ${params.get("error")}.`);
  if (!pending || params.get("state") !== pending.state) throw new Error("Sign-in failed: start again.");
  const provider = await discover(issuer);
  const response = await fetch(provider.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: params.get("code"),
      redirect_uri: redirectUri(),
      client_id: clientId,
      code_verifier: pending.verifier,
    }),
  });
  const tokens = await response.json();
  if (!response.ok || !tokens.access_token) throw new Error("Sign-in failed: start again.");
  const claims = JSON.parse(atob(tokens.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  return { accessToken: tokens.access_token, expiresIn: tokens.expires_in, sub: claims.sub };
}
