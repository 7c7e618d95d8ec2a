// A small client for the analytics API: one place that adds the bearer token and turns
// every failure (HTTP error, bad JSON, no network) into an ApiError with a readable message.

export class ApiError extends Error {
  constructor(status, code, message, { field = null, retryAfter = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

/**
 * Load `config.json` next to the page: `apiBase` (the API's origin; missing or empty = the same
 * origin) and `demoTokens` (true only where the server lists demo tokens: the local server
 * started with `--demo-tokens` says so; elsewhere the page never asks for them).
 */
export async function loadConfig(fetchImpl = fetch) {
  const fallback = { apiBase: "", demoTokens: false };
  try {
    const res = await fetchImpl("config.json", { cache: "no-store" });
    if (!res.ok) return fallback;
    const body = await res.json();
    const apiBase = typeof body.apiBase === "string" ? body.apiBase.replace(/\/+$/, "") : "";
    return { apiBase, demoTokens: body.demoTokens === true };
  } catch {
    return fallback;
  }
}

export function createApi({ apiBase, getToken, fetchImpl = fetch }) {
  async function request(path, params = {}, { signal, auth = true, token: tokenOverride = null } = {}) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== "") query.set(k, String(v));
    }
    const qs = query.toString();
    const url = `${apiBase}${path}${qs ? `?${qs}` : ""}`;
    const headers = { Accept: "application/json" };
    const token = auth ? tokenOverride || getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetchImpl(url, { headers, signal });
    } catch (err) {
      if (err?.name === "AbortError") throw err;
      throw new ApiError(0, "network", `Cannot reach the analytics API${apiBase ? ` at ${apiBase}` : ""}.`);
    }
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (!res.ok) {
      const e = body && typeof body === "object" ? body.error : null;
      const retry = Number.parseInt(res.headers.get("Retry-After") || "", 10);
      const message =
        (typeof e?.message === "string" && e.message) ||
        (res.status === 503 ? "The analytics service is busy." : `The API answered HTTP ${res.status}.`);
      throw new ApiError(res.status, e?.code || `http_${res.status}`, message, {
        field: e?.field || null,
        retryAfter: Number.isFinite(retry) ? retry : null,
      });
    }
    if (body === null)
      throw new ApiError(res.status, "bad_response", "The API answered with something that is not JSON.");
    return body;
  }

  return {
    sessionsSeries: (params, opts) => request("/v1/metrics/sessions", params, opts),
    breakdown: (params, opts) => request("/v1/metrics/sessions/breakdown", params, opts),
    products: (params, opts) => request("/v1/metrics/products", params, opts),
    sessions: (params, opts) => request("/v1/sessions", params, opts),
    // startedOn (the session's first UTC day, from the list) lets Athena read fewer partitions.
    sessionRequests: (sessionId, startedOn, opts) =>
      request(`/v1/sessions/${encodeURIComponent(sessionId)}/requests`, { started_on: startedOn }, opts),
    demoTokens: (opts) => request("/v1/demo/tokens", {}, { ...opts, auth: false }),
  };
}
