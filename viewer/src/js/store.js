// The viewer's state between renders, and the one way a view loads data from the API.
//
// `load` gives each view (metrics, sessions, session detail) one AbortController: starting a
// load cancels that view's previous one, so a slow answer for an old view can never overwrite
// the current one, and a cancelled request stops using the network. It also sorts out what
// every call shares: a 401 anywhere signs out, a 403 anywhere shows "not allowed".

import { ApiError } from "./api.js";

export const store = {
  /** The API client (api.js), set once the config is loaded. */
  api: null,
  /** Whether the server lists demo tokens on the sign-in page (config.json `demoTokens`). */
  demoTokens: false,
  /** The dashboard's persistent elements (views/shell.js); null while signed out. */
  ui: null,
  /** What the metrics and the session list were last loaded for; null forces a reload. */
  dataKey: null,
  /** The session the detail panel was last loaded for (undefined: none loaded yet). */
  session: undefined,
  /** Cursors of the session pages seen so far; index 0 is the first page. */
  listPages: [null],
  listPage: 0,
  /** Session id -> its first UTC day, from the lists seen (the detail call passes it on). */
  sessionStartDays: new Map(),
};

/** What `load` calls on an auth failure, and how a view asks for a fresh render (set by main.js). */
export const hooks = {
  render: () => {},
  unauthorized: () => {},
  forbidden: (_message) => {},
};

const controllers = new Map();

/**
 * Run `calls` (functions of an AbortSignal returning promises) as the `key` view's load.
 * Resolves to their settled results, or to null when the caller must stop: a newer load of
 * the same view replaced this one, the user signed out, or a 401/403 was handled here.
 */
export async function load(key, calls) {
  controllers.get(key)?.abort();
  const controller = new AbortController();
  controllers.set(key, controller);
  const results = await Promise.allSettled(calls.map((call) => call(controller.signal)));
  if (controller.signal.aborted || !store.ui) return null;
  controllers.delete(key);
  const errors = results.filter((r) => r.status === "rejected").map((r) => r.reason);
  if (errors.some((e) => e instanceof ApiError && e.status === 401)) {
    hooks.unauthorized();
    return null;
  }
  const forbidden = errors.find((e) => e instanceof ApiError && e.status === 403);
  if (forbidden) {
    hooks.forbidden(forbidden.message);
    return null;
  }
  return results;
}

/** Cancel every load in flight (sign-out, or a view that no longer needs its answer). */
export function cancel(key = null) {
  for (const [k, controller] of controllers) {
    if (key === null || k === key) {
      controller.abort();
      controllers.delete(k);
    }
  }
}

/** Forget everything about the signed-in view. */
export function resetStore() {
  cancel();
  store.ui = null;
  store.dataKey = null;
  store.session = undefined;
  store.listPages = [null];
  store.listPage = 0;
  store.sessionStartDays.clear();
}
