// The viewer: sign-in, then one dashboard whose whole state is in the URL hash.
// Every section renders one of four states (loading, empty, error, data); a 401 anywhere
// returns to sign-in, a 403 anywhere replaces every number with a "not allowed" panel.

import { ApiError, createApi, loadConfig } from "./api.js";
import { auth, principalLabel } from "./auth.js";
import { barChartHorizontal, destroyAll, destroyChart, lineChart } from "./charts.js";
import { dataTable, h, replace, scrollBox } from "./dom.js";
import { formatInt, formatMoney, formatPeriod, formatRatio, formatTime } from "./format.js";
import { clearSection, section, showData, showEmpty, showError, showLoading } from "./sections.js";
import { renderSignIn } from "./signin.js";
import * as S from "./state.js";

const SESSIONS_PAGE_SIZE = 20;
const PRODUCTS_LIMIT = 10;
const LEVEL_NAMES = { client: "Clients", reseller: "Resellers", user: "Users" };

let api = null;
let ui = null; // the dashboard's persistent elements, null while signed out
const loads = { metrics: 0, list: 0, detail: 0 }; // generation counters: stale answers are dropped
let lastDataKey = null;
let lastSession = undefined;
let listPages = [null]; // cursors of the pages seen so far; index 0 is the first page
let listPage = 0;
const sessionStartDays = new Map(); // session id -> its first UTC day, from the lists seen

const main = () => document.getElementById("main");

function announce(text) {
  const el = document.getElementById("announcer");
  if (el) el.textContent = text;
}

function navigate(state) {
  const hash = S.toHash(state);
  if (hash === window.location.hash) render();
  else window.location.hash = hash;
}

function currentState() {
  return S.parseHash(window.location.hash, S.todayUtc());
}

// ---------------------------------------------------------------- sign-in

function signOut(notice) {
  auth.clear();
  destroyAll();
  ui = null;
  lastDataKey = null;
  lastSession = undefined;
  sessionStartDays.clear();
  showSignIn(notice);
}

function showSignIn(notice = "") {
  renderSignIn(main(), {
    api,
    notice,
    onSignedIn: () => {
      render();
      // The sign-in form is gone: put keyboard and screen-reader focus at the start of the view.
      main().focus();
    },
  });
}

function expire() {
  signOut("Your token has expired or is no longer valid. Sign in again.");
}

// ---------------------------------------------------------------- dashboard shell

function buildShell() {
  const who = document.getElementById("who");
  replace(document.getElementById("who-name"), principalLabel(auth.principal()));
  who.hidden = false;

  const preset = h(
    "select",
    { id: "preset", name: "preset" },
    Object.entries(S.PRESETS).map(([value, label]) => h("option", { value }, label)),
  );
  const from = h("input", { id: "from", name: "from", type: "date", required: true });
  const to = h("input", { id: "to", name: "to", type: "date", required: true });
  const grain = h(
    "select",
    { id: "grain", name: "grain" },
    S.GRAINS.map((g) => h("option", { value: g }, g[0].toUpperCase() + g.slice(1))),
  );
  const controlsError = h("p", { class: "error-text", role: "alert", id: "controls-error" });
  const readControls = (presetValue) => {
    const state = currentState();
    const next = { ...state, grain: grain.value, session: state.session };
    if (presetValue && presetValue !== "custom") {
      Object.assign(next, { preset: presetValue }, S.presetRange(presetValue, S.todayUtc()));
    } else {
      if (!S.isDate(from.value) || !S.isDate(to.value)) {
        controlsError.textContent = "Enter both dates of the custom range.";
        return null;
      }
      if (from.value > to.value) {
        controlsError.textContent = "The start date must be on or before the end date.";
        return null;
      }
      Object.assign(next, { preset: "custom", from: from.value, to: to.value });
    }
    controlsError.textContent = "";
    return next;
  };
  const apply = (presetValue) => {
    const next = readControls(presetValue);
    if (next) navigate(next);
  };
  preset.addEventListener("change", () => apply(preset.value));
  grain.addEventListener("change", () => apply(preset.value));
  from.addEventListener("change", () => apply("custom"));
  to.addEventListener("change", () => apply("custom"));
  const controls = h(
    "form",
    {
      class: "controls",
      "aria-label": "Period and grain",
      onsubmit: (ev) => {
        ev.preventDefault();
        apply(preset.value === "custom" ? "custom" : preset.value);
      },
    },
    h("div", { class: "field" }, h("label", { for: "preset" }, "Period"), preset),
    h("div", { class: "field" }, h("label", { for: "from" }, "From"), from),
    h("div", { class: "field" }, h("label", { for: "to" }, "To (inclusive)"), to),
    h("div", { class: "field" }, h("label", { for: "grain" }, "Grain"), grain),
    h("div", { class: "field" }, h("span", { "aria-hidden": "true" }, " "), h("button", { type: "submit" }, "Apply")),
    controlsError,
  );

  const crumbs = h("ol", {});
  const rangeNote = h("p", { class: "muted range-note", "data-testid": "range-note" });
  const viewError = h("section", { class: "card view-error", role: "alert", "data-testid": "view-error", hidden: true });
  const notAllowed = h("section", {
    class: "card not-allowed",
    id: "not-allowed",
    hidden: true,
    role: "alert",
    "data-testid": "not-allowed",
  });
  const summary = section("summary", "Summary");
  const sessions = section("chart-sessions", "Sessions over time");
  const rps = section("chart-rps", "Requests per session");
  const drill = section("drill", "Drill down");
  const products = section("products", "Top products with revenue");
  const list = section("sessions", "Sessions");
  const detail = section("session-detail", "Session", { hidden: true });
  const content = h(
    "div",
    { id: "content" },
    summary.el,
    h("div", { class: "grid-2" }, sessions.el, rps.el),
    h("div", { class: "grid-2 wide-right" }, drill.el, products.el),
    list.el,
    detail.el,
  );
  replace(
    main(),
    h("nav", { class: "crumbs", "aria-label": "Drill-down path" }, crumbs),
    controls,
    rangeNote,
    viewError,
    notAllowed,
    content,
  );
  return { preset, from, to, grain, crumbs, rangeNote, viewError, notAllowed, content, summary, sessions, rps, drill, products, list, detail };
}

/** Sort out failures common to every call; returns true when the caller must stop. */
function handleAuthFailures(results) {
  const errors = results.filter((r) => r.status === "rejected").map((r) => r.reason);
  if (errors.some((e) => e instanceof ApiError && e.status === 401)) {
    expire();
    return true;
  }
  const forbidden = errors.find((e) => e instanceof ApiError && e.status === 403);
  if (forbidden) {
    showNotAllowed(forbidden.message);
    return true;
  }
  return false;
}

function showNotAllowed(message) {
  // No numbers may stay on the page: empty every section, then hide them all.
  destroyAll();
  for (const sec of [ui.summary, ui.sessions, ui.rps, ui.drill, ui.products, ui.list, ui.detail]) {
    clearSection(sec);
  }
  ui.content.hidden = true;
  ui.rangeNote.textContent = "";
  const home = S.cleanScope(auth.principal());
  replace(
    ui.notAllowed,
    h("h2", { id: "not-allowed-title" }, "Not allowed"),
    h("p", {}, "Your token does not give access to this view. ", message ? h("span", { class: "muted" }, `(${message})`) : null),
    h(
      "button",
      { type: "button", class: "primary", onclick: () => navigate({ ...currentState(), scope: home, session: null }) },
      "Go to your own view",
    ),
  );
  ui.notAllowed.hidden = false;
  announce("Not allowed: your token does not give access to this view.");
}

// ---------------------------------------------------------------- rendering the view

function render() {
  if (!auth.token() || !auth.principal()) {
    showSignIn();
    return;
  }
  if (!ui || !ui.content.isConnected) {
    ui = buildShell();
    lastDataKey = null;
    lastSession = undefined;
  }
  const state = currentState();
  const principal = auth.principal();
  // No scope in the URL means "my own scope": make it explicit so every call agrees.
  const scope = Object.keys(state.scope).length ? state.scope : S.cleanScope(principal);
  const view = { ...state, scope };

  ui.preset.value = view.preset;
  ui.from.value = view.from;
  ui.to.value = view.to;
  ui.grain.value = view.grain;
  renderCrumbs(view, principal);

  const dataKey = JSON.stringify([view.from, view.to, view.grain, view.scope]);
  if (dataKey !== lastDataKey) {
    lastDataKey = dataKey;
    listPages = [null];
    listPage = 0;
    ui.notAllowed.hidden = true;
    ui.viewError.hidden = true;
    ui.content.hidden = false;
    ui.rangeNote.textContent = "";
    loadMetrics(view);
    loadSessionList(view);
  } else if (!ui.notAllowed.hidden) {
    return;
  } else {
    markSelectedSession(view.session);
  }
  if (view.session !== lastSession) {
    lastSession = view.session;
    loadSessionDetail(view);
  }
}

function renderCrumbs(view, principal) {
  const crumbs = S.breadcrumbs(view.scope, principal);
  replace(
    ui.crumbs,
    crumbs.map((c) => {
      if (c.current) return h("li", {}, h("span", { "aria-current": "page" }, c.label));
      if (!c.reachable) return h("li", {}, h("span", { class: "muted" }, c.label));
      return h(
        "li",
        {},
        h("a", { href: S.toHash({ ...view, scope: c.scope, session: null }), "data-level": c.level }, c.label),
      );
    }),
  );
}

async function loadMetrics(view) {
  const gen = ++loads.metrics;
  const level = S.levelOf(view.scope);
  // At the bottom level there is nothing to drill into, but the user's own row still gives the
  // range's distinct-session total (a period series cannot: sessions do not add up over days).
  const by = S.childLevel(level) || "user";
  for (const [sec, what] of [
    [ui.summary, "totals"],
    [ui.sessions, "sessions"],
    [ui.rps, "requests per session"],
    [ui.drill, "breakdown"],
    [ui.products, "products"],
  ]) {
    showLoading(sec, what);
  }
  replace(ui.drill.heading, drillTitle(view));
  destroyChart("sessions");
  destroyChart("rps");
  destroyChart("products");
  const params = S.apiParams(view);
  const results = await Promise.allSettled([
    api.sessionsSeries(params),
    api.breakdown({ ...params, by }),
    api.products({ ...params, limit: PRODUCTS_LIMIT }),
  ]);
  if (gen !== loads.metrics || !ui) return;
  if (handleAuthFailures(results)) return;
  const retry = () => {
    lastDataKey = null;
    render();
  };
  // A 400 (e.g. too many days of hours) or a 503 (warehouse down) is about the whole view, not
  // one chart: say it once, next to the controls, instead of five times.
  const blocking = results.find(
    (r) => r.status === "rejected" && r.reason instanceof ApiError && [400, 503].includes(r.reason.status),
  );
  if (blocking) {
    showViewProblem(blocking.reason, retry);
    for (const sec of [ui.summary, ui.sessions, ui.rps, ui.drill, ui.products]) {
      showEmpty(sec, "Not shown: see the message above.", { state: "error" });
    }
    return;
  }
  const [series, breakdown, products] = results;

  if (series.status === "fulfilled") {
    renderSeries(view, series.value);
  } else {
    showError(ui.sessions, series.reason, retry);
    showError(ui.rps, series.reason, retry);
    ui.rangeNote.textContent = "";
  }
  renderSummary(view, series, breakdown, retry);
  if (breakdown.status === "fulfilled") renderDrill(view, level, breakdown.value);
  else showError(ui.drill, breakdown.reason, retry);
  if (products.status === "fulfilled") renderProducts(products.value);
  else showError(ui.products, products.reason, retry);
  announce(`Loaded ${principalLabel({ ...view.scope })} from ${view.from} to ${view.to}.`);
}

function showViewProblem(err, retry) {
  const unavailable = err.status === 503;
  const title = unavailable ? "The analytics service is unavailable" : "This view cannot be shown";
  const message = /[.!?]$/.test(err.message) ? err.message : `${err.message}.`;
  replace(
    ui.viewError,
    h("h2", {}, title),
    h("p", {}, message, err.field ? h("span", { class: "muted" }, ` (field: ${err.field})`) : null),
    unavailable
      ? h("p", {}, err.retryAfter ? `Try again in ${err.retryAfter} s. ` : "", h("button", { type: "button", onclick: retry }, "Retry"))
      : h("p", { class: "muted" }, "Change the period or the grain above."),
  );
  ui.viewError.hidden = false;
  announce(`${title}: ${err.message}`);
}

function renderSummary(view, series, breakdown, retry) {
  if (series.status === "rejected") {
    showError(ui.summary, series.reason, retry);
    return;
  }
  const points = series.value.series || [];
  const requests = points.reduce((n, p) => n + Number(p.requests || 0), 0);
  const sessions =
    breakdown.status === "fulfilled"
      ? (breakdown.value.rows || []).reduce((n, r) => n + Number(r.sessions || 0), 0)
      : null;
  const rps = sessions ? requests / sessions : null;
  const peak = points.reduce((best, p) => (best === null || p.sessions > best.sessions ? p : best), null);
  const figure = (label, value, testid, small = false) =>
    h("div", { class: small ? "figure small" : "figure", "data-testid": testid }, h("dt", {}, label), h("dd", {}, value));
  showData(
    ui.summary,
    h(
      "dl",
      { class: "figures" },
      figure("Sessions", sessions === null ? "—" : formatInt(sessions), "total-sessions"),
      figure("Requests", formatInt(requests), "total-requests"),
      figure("Requests per session", rps === null ? "—" : formatRatio(rps), "total-rps"),
      figure(
        `Busiest ${view.grain}`,
        peak && peak.sessions > 0 ? `${formatPeriod(peak.period_start, view.grain)} (${formatInt(peak.sessions)} sessions)` : "—",
        "busiest-period",
        true,
      ),
    ),
    breakdown.status === "rejected"
      ? h("p", { class: "error-text" }, `Session total unavailable: ${breakdown.reason.message}`)
      : null,
  );
}

function renderSeries(view, body) {
  const points = body.series || [];
  const counted = body.from && body.to ? `${body.from} to ${body.to}` : `${view.from} to ${view.to}`;
  const widened = body.from && body.to && (body.from !== view.from || body.to !== view.to);
  ui.rangeNote.textContent = `Showing ${view.grain === "hour" ? "hourly" : `${view.grain}ly`.replace("dayly", "daily")} figures for ${counted} (UTC)${widened ? ", widened to whole periods" : ""}.`;
  if (!points.length || points.every((p) => !p.sessions && !p.requests)) {
    showEmpty(ui.sessions, "No sessions in this period.");
    showEmpty(ui.rps, "No requests in this period.");
    return;
  }
  const labels = points.map((p) => formatPeriod(p.period_start, view.grain));
  const peak = points.reduce((b, p) => (p.sessions > b.sessions ? p : b), points[0]);
  const active = points.filter((p) => p.sessions > 0);
  const canvasS = h("canvas", { role: "img", "aria-label": `Bar chart of sessions per ${view.grain}; the table below lists every value.` });
  showData(
    ui.sessions,
    h("figure", {}, h("div", { class: "chart-box" }, canvasS),
      h("figcaption", { "data-testid": "sessions-caption" },
        `${points.length} ${view.grain}s; ${active.length} with activity; most sessions: ${formatInt(peak.sessions)} in ${formatPeriod(peak.period_start, view.grain)}.`)),
    scrollBox(
      "Sessions per period, as a table",
      dataTable({
        caption: `Sessions and requests per ${view.grain}`,
        testid: "series-table",
        columns: [{ label: "Period (UTC)" }, { label: "Sessions", numeric: true }, { label: "Requests", numeric: true }],
        rows: points.map((p, i) => [labels[i], formatInt(p.sessions), formatInt(p.requests)]),
      }),
    ),
  );
  lineChart("sessions", canvasS, { labels, values: points.map((p) => p.sessions), label: "Sessions", bar: true, format: formatInt, integer: true });

  const withRps = points.filter((p) => p.sessions > 0);
  const top = withRps.reduce((b, p) => (Number(p.requests_per_session) > Number(b.requests_per_session) ? p : b), withRps[0]);
  const canvasR = h("canvas", { role: "img", "aria-label": `Line chart of requests per session per ${view.grain}; the table below lists every value.` });
  showData(
    ui.rps,
    h("figure", {}, h("div", { class: "chart-box" }, canvasR),
      h("figcaption", { "data-testid": "rps-caption" },
        `Highest: ${formatRatio(top.requests_per_session)} requests per session in ${formatPeriod(top.period_start, view.grain)}.`)),
    scrollBox(
      "Requests per session per period, as a table",
      dataTable({
        caption: `Requests per session per ${view.grain}`,
        testid: "rps-table",
        columns: [{ label: "Period (UTC)" }, { label: "Requests per session", numeric: true }],
        rows: points.map((p, i) => [labels[i], p.sessions > 0 ? formatRatio(p.requests_per_session) : "—"]),
      }),
    ),
  );
  lineChart("rps", canvasR, {
    labels,
    // No sessions means no ratio: leave a gap instead of drawing a misleading zero.
    values: points.map((p) => (p.sessions > 0 ? Number(p.requests_per_session) : null)),
    label: "Requests per session",
    color: "#2f7d4f",
    format: formatRatio,
  });
}

function drillTitle(view) {
  const level = S.levelOf(view.scope);
  const child = S.childLevel(level);
  if (!child) return "Drill down";
  const label = principalLabel(view.scope);
  return `${LEVEL_NAMES[child]}${level === "global" ? "" : ` of ${label[0].toLowerCase()}${label.slice(1)}`}`;
}

function renderDrill(view, level, body) {
  const child = S.childLevel(level);
  if (!child) {
    showEmpty(ui.drill, `This is the lowest level: user ${view.scope.user_id}. Open one of the sessions below to see its requests.`);
    return;
  }
  const key = `${child}_id`;
  const rows = [...(body.rows || [])].sort((a, b) => b.sessions - a.sessions || String(a[key]).localeCompare(String(b[key])));
  if (!rows.length) {
    showEmpty(ui.drill, `No ${LEVEL_NAMES[child].toLowerCase()} had sessions in this period.`);
    return;
  }
  showData(
    ui.drill,
    h("p", { class: "muted" }, `Choose a ${child} to drill down. Totals over the whole range.`),
    scrollBox(
      `${LEVEL_NAMES[child]} table`,
      dataTable({
        caption: `${LEVEL_NAMES[child]} by sessions`,
        captionHidden: true,
        testid: "drill-table",
        columns: [{ label: child[0].toUpperCase() + child.slice(1) }, { label: "Sessions", numeric: true }, { label: "Requests", numeric: true }, { label: "Requests per session", numeric: true }],
        rows: rows.map((r) => [
          h(
            "a",
            {
              href: S.toHash({ ...view, scope: { ...view.scope, [key]: r[key] }, session: null }),
              class: "drill-link",
              "data-id": r[key],
              "aria-label": `Drill into ${child} ${r[key]}`,
            },
            r[key],
          ),
          formatInt(r.sessions),
          formatInt(r.requests),
          formatRatio(r.requests_per_session),
        ]),
      }),
    ),
  );
}

function renderProducts(body) {
  const products = body.products || [];
  if (!products.length) {
    showEmpty(ui.products, "No products were requested in this period.");
    return;
  }
  const currencies = [...new Set(products.map((p) => p.currency))];
  const canvas = h("canvas", { role: "img", "aria-label": "Bar chart of revenue for the top products; the table below lists every value." });
  const labels = products.map((p) => `${p.name} (${p.currency})`);
  showData(
    ui.products,
    h("figure", {},
      h("div", { class: "chart-box chart-box-tall" }, canvas),
      h("figcaption", { "data-testid": "products-caption" },
        `Top ${products.length} products by requests; bars show revenue${currencies.length > 1 ? ` in each product's own currency (${currencies.join(", ")})` : ` in ${currencies[0]}`}.`)),
    scrollBox(
      "Top products, as a table",
      dataTable({
        caption: "Top products by requests",
        captionHidden: true,
        testid: "products-table",
        columns: [
          { label: "Product" },
          { label: "Category" },
          { label: "Requests", numeric: true },
          { label: "Sessions", numeric: true },
          { label: "Quantity", numeric: true },
          { label: "Revenue", numeric: true },
        ],
        rows: products.map((p) => [
          h("span", {}, p.name, h("span", { class: "muted id" }, p.product_id)),
          p.category,
          formatInt(p.requests),
          formatInt(p.sessions),
          formatInt(p.quantity),
          formatMoney(p.revenue, p.currency),
        ]),
      }),
    ),
  );
  barChartHorizontal("products", canvas, {
    labels,
    values: products.map((p) => Number(p.revenue)),
    label: "Revenue",
    format: (i, v) => `Revenue: ${formatMoney(v, products[i].currency)}`,
  });
}

// ---------------------------------------------------------------- sessions

async function loadSessionList(view) {
  const gen = ++loads.list;
  showLoading(ui.list, "sessions");
  const params = { from: view.from, to: view.to, ...view.scope, limit: SESSIONS_PAGE_SIZE };
  const cursor = listPages[listPage];
  if (cursor) params.cursor = cursor;
  const result = await Promise.allSettled([api.sessions(params)]);
  if (gen !== loads.list || !ui) return;
  if (handleAuthFailures(result)) return;
  if (result[0].status === "rejected") {
    showError(ui.list, result[0].reason, () => loadSessionList(view));
    return;
  }
  const body = result[0].value;
  const sessions = body.sessions || [];
  for (const s of sessions) sessionStartDays.set(s.session_id, String(s.started_at).slice(0, 10));
  if (body.next_cursor) listPages[listPage + 1] = body.next_cursor;
  else listPages.length = listPage + 1;
  if (!sessions.length && listPage === 0) {
    showEmpty(ui.list, "No sessions in this period.");
    return;
  }
  const level = S.levelOf(view.scope);
  const tenant = (s) => {
    const parts = [];
    if (level === "global") parts.push(s.client_id);
    if (level === "global" || level === "client") parts.push(s.reseller_id);
    if (level !== "user") parts.push(s.user_id);
    return parts.join(" / ");
  };
  const tenantLabel = { global: "Client / reseller / user", client: "Reseller / user", reseller: "User" }[level];
  const columns = [{ label: "Session" }];
  if (tenantLabel) columns.push({ label: tenantLabel });
  columns.push({ label: "Started (UTC)" }, { label: "Ended (UTC)" }, { label: "Requests", numeric: true });
  const pageLabel = `Page ${listPage + 1}`;
  const go = (page) => {
    listPage = page;
    loadSessionList(view).then(() => ui?.list.heading.focus());
  };
  showData(
    ui.list,
    h("p", { class: "muted" }, "Newest first. Open a session to see its requests and their products."),
    scrollBox(
      "Sessions, as a table",
      dataTable({
        caption: `Sessions from ${view.from} to ${view.to}, ${pageLabel.toLowerCase()}`,
        captionHidden: true,
        testid: "sessions-table",
        columns,
        rows: sessions.map((s) => {
          const cells = [
            h(
              "a",
              {
                href: S.toHash({ ...currentState(), session: s.session_id }),
                class: "session-link",
                "data-session": s.session_id,
                "aria-current": view.session === s.session_id ? "true" : null,
              },
              s.session_id,
            ),
          ];
          if (tenantLabel) cells.push(tenant(s));
          cells.push(formatTime(s.started_at), formatTime(s.ended_at), formatInt(s.requests));
          return cells;
        }),
      }),
      { unbounded: true },
    ),
    h(
      "nav",
      { class: "pager", "aria-label": "Session pages" },
      h("button", { type: "button", disabled: listPage === 0, onclick: () => go(listPage - 1) }, "← Newer"),
      h("span", { "data-testid": "sessions-page" }, pageLabel),
      h("button", { type: "button", disabled: !listPages[listPage + 1], onclick: () => go(listPage + 1), "data-testid": "sessions-older" }, "Older →"),
    ),
  );
}

function markSelectedSession(sessionId) {
  for (const a of ui.list.body.querySelectorAll("a.session-link")) {
    if (a.dataset.session === sessionId) a.setAttribute("aria-current", "true");
    else a.removeAttribute("aria-current");
  }
}

async function loadSessionDetail(view) {
  const gen = ++loads.detail;
  markSelectedSession(view.session);
  if (!view.session) {
    ui.detail.el.hidden = true;
    clearSection(ui.detail);
    return;
  }
  ui.detail.el.hidden = false;
  const close = () => navigate({ ...currentState(), session: null });
  replace(ui.detail.heading, `Requests of session ${view.session}`);
  showLoading(ui.detail, "requests");
  const result = await Promise.allSettled([api.sessionRequests(view.session, sessionStartDays.get(view.session))]);
  if (gen !== loads.detail || !ui) return;
  if (handleAuthFailures(result)) return;
  const closeButton = h("button", { type: "button", class: "close", onclick: close }, "Close session");
  if (result[0].status === "rejected") {
    const err = result[0].reason;
    if (err instanceof ApiError && err.status === 404) {
      showEmpty(ui.detail, `Session ${view.session} was not found in your scope.`, { state: "not-found", alert: true });
      ui.detail.body.append(closeButton);
    } else {
      showError(ui.detail, err, () => loadSessionDetail(view));
      ui.detail.body.append(closeButton);
    }
    return;
  }
  const requests = result[0].value.requests || [];
  const lines = requests.reduce((n, r) => n + (r.products || []).length, 0);
  showData(
    ui.detail,
    h(
      "p",
      { "data-testid": "session-summary" },
      requests.length
        ? `${formatInt(requests.length)} requests from ${formatTime(requests[0].occurred_at)} to ${formatTime(requests[requests.length - 1].occurred_at)}, ${formatInt(lines)} product lines.`
        : "This session has no requests.",
    ),
    scrollBox(
      "Requests of the session",
      dataTable({
        caption: `Requests of session ${view.session}, in time order`,
        captionHidden: true,
        testid: "requests-table",
        columns: [
          { label: "Time (UTC)" },
          { label: "Method" },
          { label: "Path" },
          { label: "Status", numeric: true },
          { label: "Duration (ms)", numeric: true },
          { label: "Products" },
        ],
        rows: requests.map((r) => [
          formatTime(r.occurred_at),
          r.method,
          h("code", {}, r.path),
          String(r.status),
          formatInt(r.duration_ms),
          (r.products || []).length
            ? h(
                "ul",
                { class: "products" },
                r.products.map((p) =>
                  h(
                    "li",
                    { "data-product": p.product_id },
                    `${p.name} (${p.product_id}, ${p.category}): ${formatInt(p.quantity)} × ${formatMoney(p.unit_price, p.currency)}`,
                  ),
                ),
              )
            : h("span", { class: "muted" }, "none"),
        ]),
      }),
      { unbounded: true },
    ),
    closeButton,
  );
  ui.detail.heading.focus({ preventScroll: true });
  ui.detail.el.scrollIntoView({ block: "start" });
}

// ---------------------------------------------------------------- start

async function start() {
  const { apiBase } = await loadConfig();
  api = createApi({ apiBase, getToken: auth.token });
  document.getElementById("sign-out").addEventListener("click", () => {
    history.replaceState(null, "", window.location.pathname + window.location.search);
    signOut("You are signed out.");
  });
  document.getElementById("skip-link").addEventListener("click", (ev) => {
    ev.preventDefault();
    main().focus();
  });
  window.addEventListener("hashchange", () => render());
  render();
}

start();
