// The HTTP API as the console uses it: sign-in, JSON calls with the bearer token and Accept-Language, and the
// presigned POST upload straight to S3 with a progress callback.

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** The console's configuration, written by whoever hosts it: {api, issuer, languages} (or {oidc}). */
export async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new ApiError(response.status, "config.json is missing");
  return response.json();
}

/** Who the URL fragment names: #tenant=T&email=E (the local stack's sign-in). */
export function fragmentIdentity() {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const tenant = fragment.get("tenant");
  const email = fragment.get("email");
  return tenant && email ? { tenant, email } : null;
}

/** A token and who it is for. The first way that applies:
 *  1. the fragment's tenant and email, signed in at the configured issuer (the local stack's token endpoint);
 *  2. embedded in a host application (an iframe), or with no other way configured: the host hands a token with
 *     postMessage({type: "customer-bulk-token", token}) (the console says {type: "customer-bulk-ready"} first);
 *  3. config.oidc {authority, client_id[, scope]}: authorization code + PKCE at the identity provider (its
 *     id token carries the tenant and email claims the API's JWT authorizer reads). */
export async function signIn(config, { onWaiting } = {}) {
  const who = fragmentIdentity();
  if (who && config.issuer) {
    const response = await fetch(config.issuer, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tenant: who.tenant, email: who.email, lifetime_s: 3600 }),
    });
    if (!response.ok) throw new ApiError(response.status, `the issuer answered ${response.status}`);
    const { token } = await response.json();
    return { token, ...who };
  }
  if (config.oidc && window.parent === window) {
    const token = await oidcToken(config.oidc);
    return { token, ...claimsOf(token) };
  }
  if (onWaiting) onWaiting();
  const token = await new Promise((resolve) => {
    const listen = (event) => {
      const data = event.data;
      if (data && data.type === "customer-bulk-token" && typeof data.token === "string") {
        window.removeEventListener("message", listen);
        resolve(data.token);
      }
    };
    window.addEventListener("message", listen);
    if (window.parent !== window) window.parent.postMessage({ type: "customer-bulk-ready" }, "*");
  });
  return { token, ...claimsOf(token) };
}

const PKCE_KEY = "customer-bulk-pkce";

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(size = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

/** Authorization code + PKCE (RFC 7636): away to the provider's sign-in, back with ?code&state, code exchanged.
 *  Resolves with the id token (or the access token), or never (the page is leaving for the sign-in). */
async function oidcToken(oidc) {
  const authority = oidc.authority.replace(/\/$/, "");
  const discovery = await (await fetch(`${authority}/.well-known/openid-configuration`)).json();
  const redirectUri = `${window.location.origin}${window.location.pathname}`;
  const query = new URLSearchParams(window.location.search);
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  if (query.get("code") && saved && query.get("state") === saved.state) {
    sessionStorage.removeItem(PKCE_KEY);
    const response = await fetch(discovery.token_endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", code: query.get("code"), redirect_uri: redirectUri,
        client_id: oidc.client_id, code_verifier: saved.verifier,
      }),
    });
    if (!response.ok) throw new ApiError(response.status, `the identity provider answered ${response.status}`);
    const tokens = await response.json();
    window.history.replaceState(null, "", `${redirectUri}${saved.hash || ""}`);
    return tokens.id_token || tokens.access_token;
  }
  if (query.get("error")) throw new ApiError(0, query.get("error_description") || query.get("error"));
  const verifier = randomText(48);
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = randomText(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, hash: window.location.hash }));
  const params = new URLSearchParams({
    response_type: "code", client_id: oidc.client_id, redirect_uri: redirectUri, scope: oidc.scope || "openid email",
    code_challenge: challenge, code_challenge_method: "S256", state,
  });
  window.location.assign(`${discovery.authorization_endpoint}?${params}`);
  return new Promise(() => {});
}

function claimsOf(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(decodeURIComponent(escape(atob(payload))));
    return { tenant: claims["custom:tenant_id"] || "", email: claims.email || "" };
  } catch {
    return { tenant: "", email: "" };
  }
}

export class Api {
  constructor(base, token, languageOf) {
    this.base = base.replace(/\/$/, "");
    this.token = token;
    this.languageOf = languageOf; // a function: the language asked for now
  }

  setToken(token) {
    this.token = token;
  }

  /** {body, headers, status}; an ApiError (with the API's own message) for 4xx/5xx. */
  async call(method, path, { body, headers = {}, query } = {}) {
    let url = `${this.base}${path}`;
    if (query) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) {
        if (value !== null && value !== undefined && value !== "") params.append(name, value);
      }
      if ([...params].length) url += `?${params}`;
    }
    const init = {
      method,
      headers: { Authorization: `Bearer ${this.token}`, "Accept-Language": this.languageOf(), ...headers },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      throw new ApiError(0, `${this.base} does not answer (${error.message})`);
    }
    let answer = null;
    try {
      answer = await response.json();
    } catch {
      answer = null;
    }
    if (!response.ok) {
      const message = answer?.message || answer?.detail || `HTTP ${response.status}`;
      const details = (answer?.errors || []).map((error) => `${error.field}: ${error.message}`).join("; ");
      throw new ApiError(response.status, details ? `${message} (${details})` : message, answer);
    }
    return { body: answer, headers: response.headers, status: response.status };
  }

  async get(path, query) {
    return (await this.call("GET", path, { query })).body;
  }

  async post(path, body) {
    return (await this.call("POST", path, { body })).body;
  }

  async put(path, body) {
    return (await this.call("PUT", path, { body })).body;
  }
}

/** POST the file to the presigned form: its fields first, the file last; progress as 0..100. */
export function upload(form, file, onProgress) {
  return new Promise((resolve, reject) => {
    const data = new FormData();
    for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
    data.append("file", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", form.url);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
    };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(100);
        resolve();
      } else {
        const reason = /<Message>([^<]*)<\/Message>/.exec(request.responseText || "");
        reject(new ApiError(request.status, reason ? reason[1] : `upload refused (${request.status})`));
      }
    };
    request.onerror = () => reject(new ApiError(0, "the upload could not reach the storage"));
    request.send(data);
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
