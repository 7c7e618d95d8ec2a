// The metrics of a view: the summary figures, the two series charts, the drill-down list and
// the top products. One load asks the three metric routes together, so the sections agree.

import { ApiError } from "../api.js";
import { principalLabel } from "../auth.js";
import { barChartHorizontal, destroyChart, lineChart } from "../charts.js";
import { dataTable, h, replace, scrollBox, unbroken } from "../dom.js";
import { countOf, formatInt, formatMoney, formatPeriod, formatRatio, formatWhen, grainly } from "../format.js";
import { showData, showEmpty, showError, showLoading } from "../sections.js";
import * as S from "../state.js";
import { load, store } from "../store.js";
import { announce, reload, showViewProblem } from "./shell.js";

export const PRODUCTS_LIMIT = 10;
const LEVEL_NAMES = { client: "Clients", reseller: "Resellers", user: "Users" };
// A product's name on the chart's axis; the table beside it holds the whole name.
const CHART_LABEL_MAX = 28;

export async function loadMetrics(view) {
  const { ui, api } = store;
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
  for (const chart of ["sessions", "rps", "products"]) destroyChart(chart);
  const params = S.apiParams(view);
  const results = await load("metrics", [
    (signal) => api.sessionsSeries(params, { signal }),
    (signal) => api.breakdown({ ...params, by }, { signal }),
    (signal) => api.products({ ...params, limit: PRODUCTS_LIMIT }, { signal }),
  ]);
  if (!results) return;
  // A 400 (e.g. too many days of hours) or a 503 (warehouse down) is about the whole view, not
  // one chart: say it once, next to the controls, instead of five times.
  const blocking = results.find(
    (r) => r.status === "rejected" && r.reason instanceof ApiError && [400, 503].includes(r.reason.status),
  );
  if (blocking) {
    showViewProblem(blocking.reason);
    for (const sec of [ui.summary, ui.sessions, ui.rps, ui.drill, ui.products]) {
      showEmpty(sec, "Not shown: see the message above.", { state: "error" });
    }
    return;
  }
  const [series, breakdown, products] = results;

  if (series.status === "fulfilled") {
    renderSeries(view, series.value);
  } else {
    showError(ui.sessions, series.reason, reload);
    showError(ui.rps, series.reason, reload);
    ui.rangeNote.textContent = "";
  }
  renderSummary(view, series, breakdown);
  if (breakdown.status === "fulfilled") renderDrill(view, level, breakdown.value);
  else showError(ui.drill, breakdown.reason, reload);
  if (products.status === "fulfilled") renderProducts(products.value);
  else showError(ui.products, products.reason, reload);
  announce(`Loaded ${principalLabel({ ...view.scope })} from ${view.from} to ${view.to}.`);
}

function renderSummary(view, series, breakdown) {
  const { ui } = store;
  if (series.status === "rejected") {
    showError(ui.summary, series.reason, reload);
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
    h(
      "div",
      { class: small ? "figure small" : "figure", "data-testid": testid },
      h("dt", {}, label),
      h("dd", {}, value),
    );
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
        peak && peak.sessions > 0
          ? `${formatPeriod(peak.period_start, view.grain)} (${countOf(peak.sessions, "session")})`
          : "—",
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
  const { ui } = store;
  const points = body.series || [];
  const counted = body.from && body.to ? `${body.from} to ${body.to}` : `${view.from} to ${view.to}`;
  const widened = body.from && body.to && (body.from !== view.from || body.to !== view.to);
  replace(
    ui.rangeNote,
    unbroken(
      `Showing ${grainly(view.grain)} figures for ${counted} (UTC)${widened ? ", widened to whole periods" : ""}.`,
    ),
  );
  if (!points.length || points.every((p) => !p.sessions && !p.requests)) {
    showEmpty(ui.sessions, "No sessions in this period.");
    showEmpty(ui.rps, "No requests in this period.");
    return;
  }
  const labels = points.map((p) => formatPeriod(p.period_start, view.grain));
  const peak = points.reduce((b, p) => (p.sessions > b.sessions ? p : b), points[0]);
  const active = points.filter((p) => p.sessions > 0);
  const canvasS = h("canvas", {
    role: "img",
    "aria-label": `Bar chart of sessions per ${view.grain}; the table below lists every value.`,
  });
  showData(
    ui.sessions,
    h(
      "figure",
      {},
      h("div", { class: "chart-box" }, canvasS),
      h(
        "figcaption",
        { "data-testid": "sessions-caption" },
        unbroken(
          `${countOf(points.length, view.grain)}, ${formatInt(active.length)} with sessions. ` +
            `Most sessions: ${formatInt(peak.sessions)}, ${formatWhen(peak.period_start, view.grain)}.`,
        ),
      ),
    ),
    scrollBox(
      "Sessions per period, as a table",
      dataTable({
        caption: `Sessions and requests per ${view.grain}`,
        testid: "series-table",
        columns: [
          { label: "Period (UTC)" },
          { label: "Sessions", numeric: true },
          { label: "Requests", numeric: true },
        ],
        rows: points.map((p, i) => [labels[i], formatInt(p.sessions), formatInt(p.requests)]),
      }),
    ),
  );
  lineChart("sessions", canvasS, {
    labels,
    values: points.map((p) => p.sessions),
    label: "Sessions",
    bar: true,
    format: formatInt,
    integer: true,
  });

  const top = active.reduce(
    (b, p) => (Number(p.requests_per_session) > Number(b.requests_per_session) ? p : b),
    active[0],
  );
  const canvasR = h("canvas", {
    role: "img",
    "aria-label": `Line chart of requests per session per ${view.grain}; the table below lists every value.`,
  });
  showData(
    ui.rps,
    h(
      "figure",
      {},
      h("div", { class: "chart-box" }, canvasR),
      h(
        "figcaption",
        { "data-testid": "rps-caption" },
        unbroken(
          top
            ? `Highest: ${formatRatio(top.requests_per_session)} requests per session, ${formatWhen(top.period_start, view.grain)}.`
            : "No sessions, so no ratio.",
        ),
      ),
    ),
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
  const { ui } = store;
  const child = S.childLevel(level);
  if (!child) {
    showEmpty(
      ui.drill,
      `This is the lowest level: user ${view.scope.user_id}. Open one of the sessions below to see its requests.`,
    );
    return;
  }
  const key = `${child}_id`;
  const rows = [...(body.rows || [])].sort(
    (a, b) => b.sessions - a.sessions || String(a[key]).localeCompare(String(b[key])),
  );
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
        columns: [
          { label: child[0].toUpperCase() + child.slice(1) },
          { label: "Sessions", numeric: true },
          { label: "Requests", numeric: true },
          { label: "Requests per session", numeric: true },
        ],
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

function chartLabel(product) {
  const name =
    product.name.length > CHART_LABEL_MAX ? `${product.name.slice(0, CHART_LABEL_MAX - 1).trimEnd()}…` : product.name;
  return `${name} (${product.currency})`;
}

function renderProducts(body) {
  const { ui } = store;
  const products = body.products || [];
  if (!products.length) {
    showEmpty(ui.products, "No products were requested in this period.");
    return;
  }
  const currencies = [...new Set(products.map((p) => p.currency))];
  const canvas = h("canvas", {
    role: "img",
    "aria-label": "Bar chart of revenue for the top products; the table below lists every value.",
  });
  showData(
    ui.products,
    h(
      "figure",
      {},
      h("div", { class: "chart-box chart-box-tall" }, canvas),
      h(
        "figcaption",
        { "data-testid": "products-caption" },
        `Top ${countOf(products.length, "product")} by requests; bars show revenue${
          currencies.length > 1 ? ` in each product's own currency (${currencies.join(", ")})` : ` in ${currencies[0]}`
        }.`,
      ),
    ),
    scrollBox(
      "Top products, as a table",
      dataTable({
        caption: "Top products by requests",
        captionHidden: true,
        testid: "products-table",
        stack: true,
        columns: [
          { label: "Product" },
          { label: "Category" },
          { label: "Requests", numeric: true },
          { label: "Sessions", numeric: true },
          { label: "Quantity", numeric: true },
          { label: "Revenue", numeric: true },
        ],
        rows: products.map((p) => [
          h("span", { class: "product" }, p.name, h("span", { class: "muted id" }, p.product_id)),
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
    labels: products.map(chartLabel),
    values: products.map((p) => Number(p.revenue)),
    label: "Revenue",
    format: (i, v) => `${products[i].name}: ${formatMoney(v, products[i].currency)}`,
  });
}
