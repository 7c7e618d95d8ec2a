// One session's requests, in time order, with the products each request carried.

import { ApiError } from "../api.js";
import { dataTable, h, replace, scrollBox } from "../dom.js";
import { countOf, formatInt, formatMoney, formatTime } from "../format.js";
import { clearSection, showData, showEmpty, showError, showLoading } from "../sections.js";
import { cancel, load, store } from "../store.js";
import { markSelectedSession } from "./sessions.js";
import { currentState, navigate } from "./shell.js";

export async function loadSessionDetail(view) {
  const { ui, api } = store;
  markSelectedSession(view.session);
  if (!view.session) {
    cancel("detail");
    ui.detail.el.hidden = true;
    clearSection(ui.detail);
    return;
  }
  ui.detail.el.hidden = false;
  const close = () => navigate({ ...currentState(), session: null });
  replace(ui.detail.heading, `Requests of session ${view.session}`);
  showLoading(ui.detail, "requests");
  const startedOn = store.sessionStartDays.get(view.session);
  const results = await load("detail", [(signal) => api.sessionRequests(view.session, startedOn, { signal })]);
  if (!results) return;
  const [result] = results;
  const closeButton = h("button", { type: "button", class: "close", onclick: close }, "Close session");
  if (result.status === "rejected") {
    const err = result.reason;
    if (err instanceof ApiError && err.status === 404) {
      showEmpty(ui.detail, `Session ${view.session} was not found in your scope.`, { state: "not-found", alert: true });
    } else {
      showError(ui.detail, err, () => loadSessionDetail(view));
    }
    ui.detail.body.append(closeButton);
    return;
  }
  const requests = result.value.requests || [];
  const lines = requests.reduce((n, r) => n + (r.products || []).length, 0);
  showData(
    ui.detail,
    h(
      "p",
      { "data-testid": "session-summary" },
      requests.length
        ? `${countOf(requests.length, "request")} from ${formatTime(requests[0].occurred_at)} to ` +
            `${formatTime(requests[requests.length - 1].occurred_at)}, ${countOf(lines, "product line")}.`
        : "This session has no requests.",
    ),
    scrollBox(
      "Requests of the session",
      dataTable({
        caption: `Requests of session ${view.session}, in time order`,
        captionHidden: true,
        testid: "requests-table",
        stack: true,
        columns: [
          { label: "Time (UTC)" },
          { label: "Method" },
          { label: "Path" },
          { label: "Status", numeric: true },
          { label: "Duration (ms)", numeric: true },
          { label: "Products" },
        ],
        rows: requests.map((r) => [
          formatTime(r.occurred_at, { zone: false }),
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
