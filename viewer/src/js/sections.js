// A dashboard section (a card with a heading and a body) and its four states. The section's
// `data-state` says which one it shows (loading, empty, error, data), and `aria-busy` is set
// exactly while it loads.

import { ApiError } from "./api.js";
import { h, replace } from "./dom.js";

export function section(id, title, extra = {}) {
  const heading = h("h2", { id: `${id}-title`, tabindex: "-1" }, title);
  const body = h("div", { class: "section-body", id: `${id}-body`, "aria-live": "polite" });
  const el = h("section", { class: "card", id, "aria-labelledby": `${id}-title`, ...extra }, heading, body);
  return { el, heading, body };
}

function setState(sec, state) {
  sec.el.dataset.state = state;
  if (state === "loading") sec.el.setAttribute("aria-busy", "true");
  else sec.el.removeAttribute("aria-busy");
}

export function showLoading(sec, what) {
  setState(sec, "loading");
  replace(
    sec.body,
    h("p", { class: "state loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), `Loading ${what}…`),
  );
}

export function showEmpty(sec, text, { state = "empty", alert = false } = {}) {
  setState(sec, state);
  replace(sec.body, h("p", { class: "state empty", role: alert ? "alert" : null }, text));
}

/** The API's own message (and field), a hint when it asked to wait, and a Retry button. */
export function showError(sec, err, retry) {
  setState(sec, "error");
  let text = err?.message || String(err);
  if (err instanceof ApiError && err.retryAfter) {
    text = `${/[.!?]$/.test(text) ? text : `${text}.`} Try again in ${err.retryAfter} s.`;
  }
  if (err instanceof ApiError && err.field) text = `${text} (field: ${err.field})`;
  replace(
    sec.body,
    h(
      "div",
      { class: "state error", role: "alert" },
      h("p", {}, h("strong", {}, "Could not load this part. "), text),
      retry ? h("button", { type: "button", onclick: retry }, "Retry") : null,
    ),
  );
}

export function showData(sec, ...children) {
  setState(sec, "data");
  replace(sec.body, ...children);
}

/** Blank a section entirely (no numbers may stay behind, e.g. under "not allowed"). */
export function clearSection(sec) {
  setState(sec, "cleared");
  sec.body.replaceChildren();
}
