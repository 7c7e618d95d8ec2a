// The view's state lives in the URL hash so that a copied link restores the same view.
// Everything here is pure (no DOM, no fetch) so it can be unit-tested with `node --test`.

export const GRAINS = ["hour", "day", "week", "month"];
export const PRESETS = {
  last7: "Last 7 days",
  last30: "Last 30 days",
  last90: "Last 90 days",
  month: "This month",
  custom: "Custom range",
};
export const LEVELS = ["global", "client", "reseller", "user"];
export const SCOPE_KEYS = ["client_id", "reseller_id", "user_id"];
export const DEFAULT_PRESET = "last30";
export const DEFAULT_GRAIN = "day";

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
// Same id syntax the API checks (docs/contracts.md): anything else cannot be a tenant.
const ID_RE = /^[A-Za-z0-9._:@-]{1,128}$/;

export function isDate(value) {
  if (typeof value !== "string" || !DATE_RE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

export function isId(value) {
  return typeof value === "string" && ID_RE.test(value);
}

/** Today's UTC date as YYYY-MM-DD (the API's periods are UTC). */
export function todayUtc(now = new Date()) {
  return now.toISOString().slice(0, 10);
}

export function addDays(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The from/to dates (inclusive) of a preset, relative to `today`. */
export function presetRange(preset, today) {
  switch (preset) {
    case "last7":
      return { from: addDays(today, -6), to: today };
    case "last90":
      return { from: addDays(today, -89), to: today };
    case "month":
      return { from: `${today.slice(0, 8)}01`, to: today };
    default:
      return { from: addDays(today, -29), to: today };
  }
}

/** The level a scope object designates: the deepest id it carries. */
export function levelOf(scope) {
  if (!scope) return "global";
  if (scope.user_id) return "user";
  if (scope.reseller_id) return "reseller";
  if (scope.client_id) return "client";
  return "global";
}

/** The level one step below `level`, or null at the bottom. */
export function childLevel(level) {
  const i = LEVELS.indexOf(level);
  return i >= 0 && i < LEVELS.length - 1 ? LEVELS[i + 1] : null;
}

/** Keep only the scope keys that make a consistent path (a reseller needs its client, ...). */
export function cleanScope(scope) {
  const out = {};
  for (const key of SCOPE_KEYS) {
    if (!scope || !isId(scope[key])) break;
    out[key] = scope[key];
  }
  return out;
}

export function sameScope(a, b) {
  return SCOPE_KEYS.every((k) => (a?.[k] ?? null) === (b?.[k] ?? null));
}

/** True when `scope` is the principal's own scope or below it. */
export function withinScope(scope, principal) {
  const home = cleanScope(principal);
  return Object.keys(home).every((k) => scope?.[k] === home[k]);
}

/**
 * Parse a location hash ("#from=...&to=...") into a complete state.
 * Unknown or malformed values fall back to defaults instead of failing, so an edited link
 * still opens something sensible; scope ids are kept as given so the API can judge them.
 */
export function parseHash(hash, today) {
  const params = new URLSearchParams((hash || "").replace(/^#/, ""));
  const grain = GRAINS.includes(params.get("grain")) ? params.get("grain") : DEFAULT_GRAIN;
  const from = params.get("from");
  const to = params.get("to");
  let preset = params.get("preset");
  let range;
  if (
    isDate(from) &&
    isDate(to) &&
    preset !== "last7" &&
    preset !== "last30" &&
    preset !== "last90" &&
    preset !== "month"
  ) {
    preset = "custom";
    range = from <= to ? { from, to } : { from: to, to: from };
  } else {
    if (!(preset in PRESETS) || preset === "custom") preset = DEFAULT_PRESET;
    range = presetRange(preset, today);
  }
  const scope = {};
  for (const key of SCOPE_KEYS) {
    const v = params.get(key);
    if (v) scope[key] = v;
  }
  const session = params.get("session") || null;
  return { preset, from: range.from, to: range.to, grain, scope, session };
}

/** The hash for a state; presets are kept by name so "last 7 days" stays relative. */
export function toHash(state) {
  const params = new URLSearchParams();
  if (state.preset && state.preset !== "custom") {
    params.set("preset", state.preset);
  } else {
    params.set("from", state.from);
    params.set("to", state.to);
  }
  params.set("grain", state.grain);
  for (const key of SCOPE_KEYS) {
    if (state.scope?.[key]) params.set(key, state.scope[key]);
  }
  if (state.session) params.set("session", state.session);
  return `#${params.toString()}`;
}

/** Query parameters for the API: the range, the grain and the explicit scope. */
export function apiParams(state, extra = {}) {
  const params = { grain: state.grain, from: state.from, to: state.to };
  for (const key of SCOPE_KEYS) {
    if (state.scope?.[key]) params[key] = state.scope[key];
  }
  return { ...params, ...extra };
}

/**
 * The breadcrumb trail from Global down to the state's scope. A crumb is a link only when
 * it lies inside the principal's scope, so a reseller never gets a way up into its client.
 */
export function breadcrumbs(scope, principal) {
  const names = { global: "All clients", client: "Client", reseller: "Reseller", user: "User" };
  const crumbs = [{ level: "global", label: names.global, scope: {} }];
  const path = {};
  for (const key of SCOPE_KEYS) {
    if (!scope?.[key]) break;
    path[key] = scope[key];
    const level = levelOf(path);
    crumbs.push({ level, label: `${names[level]} ${scope[key]}`, scope: { ...path } });
  }
  return crumbs.map((c, i) => ({
    ...c,
    current: i === crumbs.length - 1,
    reachable: withinScope(c.scope, principal),
  }));
}
