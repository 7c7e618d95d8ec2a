// The dashboard's frame: the page heading, breadcrumbs, the period and grain controls, the
// view-wide messages (a 400/503 once next to the controls, "not allowed") and the empty
// sections the other views fill. Also the URL helpers every view uses to move around.

import { auth, principalLabel } from "../auth.js";
import { destroyAll } from "../charts.js";
import { h, replace } from "../dom.js";
import { clearSection, section } from "../sections.js";
import * as S from "../state.js";
import { cancel, hooks, store } from "../store.js";

export const main = () => document.getElementById("main");

export function announce(text) {
  const el = document.getElementById("announcer");
  if (el) el.textContent = text;
}

export function currentState() {
  return S.parseHash(window.location.hash, S.todayUtc());
}

/** Go to `state`: a new hash renders through hashchange, the same hash renders again now. */
export function navigate(state) {
  const hash = S.toHash(state);
  if (hash === window.location.hash) hooks.render();
  else window.location.hash = hash;
}

/** Load the current view's data again (Retry). */
export function reload() {
  store.dataKey = null;
  hooks.render();
}

/** The page heading for a scope: "All clients", "Client acme", "Reseller north (client acme)", ... */
export function viewTitle(scope) {
  return S.levelOf(scope) === "global" ? "All clients" : principalLabel(scope);
}

const DATE_HELP = "YYYY-MM-DD, UTC";

function dateInput(id) {
  // A text field, not type=date: Chromium shows a date field in the browser's locale
  // (11/02/2026), while every other date on the page and in the URL is ISO.
  return h("input", {
    id,
    name: id,
    type: "text",
    inputmode: "numeric",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "YYYY-MM-DD",
    pattern: "\\d{4}-\\d{2}-\\d{2}",
    maxlength: "10",
    size: "10",
    required: true,
    "aria-describedby": "date-help",
  });
}

function buildControls() {
  const preset = h(
    "select",
    { id: "preset", name: "preset" },
    Object.entries(S.PRESETS).map(([value, label]) => h("option", { value }, label)),
  );
  const from = dateInput("from");
  const to = dateInput("to");
  const grain = h(
    "select",
    { id: "grain", name: "grain" },
    S.GRAINS.map((g) => h("option", { value: g }, g[0].toUpperCase() + g.slice(1))),
  );
  const error = h("p", { class: "error-text", role: "alert", id: "controls-error" });
  const read = (presetValue) => {
    const state = currentState();
    const next = { ...state, grain: grain.value, session: state.session };
    if (presetValue && presetValue !== "custom") {
      Object.assign(next, { preset: presetValue }, S.presetRange(presetValue, S.todayUtc()));
    } else {
      const [a, b] = [from.value.trim(), to.value.trim()];
      if (!a || !b) {
        error.textContent = "Enter both dates of the custom range.";
        return null;
      }
      const bad = [a, b].find((v) => !S.isDate(v));
      if (bad) {
        error.textContent = `${bad} is not a date: write it as YYYY-MM-DD, e.g. ${S.todayUtc()}.`;
        return null;
      }
      if (a > b) {
        error.textContent = "The start date must be on or before the end date.";
        return null;
      }
      Object.assign(next, { preset: "custom", from: a, to: b });
    }
    error.textContent = "";
    return next;
  };
  const apply = (presetValue) => {
    const next = read(presetValue);
    if (next) navigate(next);
  };
  preset.addEventListener("change", () => apply(preset.value));
  grain.addEventListener("change", () => apply(preset.value));
  from.addEventListener("change", () => apply("custom"));
  to.addEventListener("change", () => apply("custom"));
  const form = h(
    "form",
    {
      class: "controls",
      "aria-label": "Period and grain",
      novalidate: true,
      onsubmit: (ev) => {
        ev.preventDefault();
        const edited = from.value !== store.ui?.shownFrom || to.value !== store.ui?.shownTo;
        apply(edited ? "custom" : preset.value);
      },
    },
    h("div", { class: "field" }, h("label", { for: "preset" }, "Period"), preset),
    h("div", { class: "field" }, h("label", { for: "from" }, "From"), from),
    h("div", { class: "field" }, h("label", { for: "to" }, "To (inclusive)"), to),
    h("div", { class: "field" }, h("label", { for: "grain" }, "Grain"), grain),
    h("div", { class: "field" }, h("span", { "aria-hidden": "true" }, " "), h("button", { type: "submit" }, "Apply")),
    h("p", { id: "date-help", class: "muted hint" }, `Dates: ${DATE_HELP}.`),
    error,
  );
  return { form, preset, from, to, grain };
}

/** Build the dashboard's frame into <main> and keep its parts in `store.ui`. */
export function buildShell() {
  const who = document.getElementById("who");
  replace(document.getElementById("who-name"), principalLabel(auth.principal()));
  who.hidden = false;

  const controls = buildControls();
  const title = h("h1", { id: "view-title", "data-testid": "view-title" });
  const crumbs = h("ol", {});
  const rangeNote = h("p", { class: "muted range-note", "data-testid": "range-note" });
  const viewError = h("section", {
    class: "card view-error",
    role: "alert",
    "data-testid": "view-error",
    hidden: true,
  });
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
    title,
    controls.form,
    rangeNote,
    viewError,
    notAllowed,
    content,
  );
  store.ui = {
    ...controls,
    title,
    crumbs,
    rangeNote,
    viewError,
    notAllowed,
    content,
    summary,
    sessions,
    rps,
    drill,
    products,
    list,
    detail,
    shownFrom: null,
    shownTo: null,
  };
  return store.ui;
}

/** Put the view's state into the frame: heading, window title, controls and breadcrumbs. */
export function showView(view, principal) {
  const { ui } = store;
  const title = viewTitle(view.scope);
  replace(ui.title, title);
  document.title = `${title} · Request analytics`;
  ui.preset.value = view.preset;
  ui.from.value = view.from;
  ui.to.value = view.to;
  ui.shownFrom = view.from;
  ui.shownTo = view.to;
  ui.grain.value = view.grain;
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

/** Clear the view-wide messages before a new view loads. */
export function clearViewMessages() {
  const { ui } = store;
  ui.notAllowed.hidden = true;
  ui.viewError.hidden = true;
  ui.content.hidden = false;
  ui.rangeNote.textContent = "";
}

/** A 403: no number may stay on the page. Empty every section, then hide them all. */
export function showNotAllowed(message) {
  const { ui } = store;
  cancel();
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
    h(
      "p",
      {},
      "Your token does not give access to this view. ",
      message ? h("span", { class: "muted" }, `(${message})`) : null,
    ),
    h(
      "button",
      { type: "button", class: "primary", onclick: () => navigate({ ...currentState(), scope: home, session: null }) },
      "Go to your own view",
    ),
  );
  ui.notAllowed.hidden = false;
  announce("Not allowed: your token does not give access to this view.");
}

/** A 400 (e.g. too many days of hours) or a 503 is about the whole view: say it once. */
export function showViewProblem(err) {
  const { ui } = store;
  const unavailable = err.status === 503;
  const title = unavailable ? "The analytics service is unavailable" : "This view cannot be shown";
  const message = /[.!?]$/.test(err.message) ? err.message : `${err.message}.`;
  replace(
    ui.viewError,
    h("h2", {}, title),
    h("p", {}, message, err.field ? h("span", { class: "muted" }, ` (field: ${err.field})`) : null),
    unavailable
      ? h(
          "p",
          {},
          err.retryAfter ? `Try again in ${err.retryAfter} s. ` : "",
          h("button", { type: "button", onclick: reload }, "Retry"),
        )
      : h("p", { class: "muted" }, "Change the period or the grain above."),
  );
  ui.viewError.hidden = false;
  announce(`${title}: ${err.message}`);
}
