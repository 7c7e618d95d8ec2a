// The sessions of a view, newest first, a page at a time (the API's cursor), each a link
// that opens the session's requests below.

import { dataTable, h, scrollBox } from "../dom.js";
import { formatInt, formatTime } from "../format.js";
import { showData, showEmpty, showError, showLoading } from "../sections.js";
import * as S from "../state.js";
import { load, store } from "../store.js";
import { currentState } from "./shell.js";

export const SESSIONS_PAGE_SIZE = 20;

// The columns' headers say "(UTC)": the cells need not repeat it.
const COLUMN = { zone: false };
const TENANT_LABELS = { global: "Client / reseller / user", client: "Reseller / user", reseller: "User" };

function tenantOf(level, s) {
  const parts = [];
  if (level === "global") parts.push(s.client_id);
  if (level === "global" || level === "client") parts.push(s.reseller_id);
  if (level !== "user") parts.push(s.user_id);
  return parts.join(" / ");
}

/** Load and show the current page (`store.listPage`) of the view's sessions. */
export async function loadSessionList(view) {
  const { ui, api } = store;
  showLoading(ui.list, "sessions");
  const params = { from: view.from, to: view.to, ...view.scope, limit: SESSIONS_PAGE_SIZE };
  const cursor = store.listPages[store.listPage];
  if (cursor) params.cursor = cursor;
  const results = await load("sessions", [(signal) => api.sessions(params, { signal })]);
  if (!results) return;
  const [result] = results;
  if (result.status === "rejected") {
    showError(ui.list, result.reason, () => loadSessionList(view));
    return;
  }
  const body = result.value;
  const sessions = body.sessions || [];
  const page = store.listPage;
  for (const s of sessions) store.sessionStartDays.set(s.session_id, String(s.started_at).slice(0, 10));
  if (body.next_cursor) store.listPages[page + 1] = body.next_cursor;
  else store.listPages.length = page + 1;
  if (!sessions.length && page === 0) {
    showEmpty(ui.list, "No sessions in this period.");
    return;
  }
  const level = S.levelOf(view.scope);
  const tenantLabel = TENANT_LABELS[level];
  const columns = [{ label: "Session" }];
  if (tenantLabel) columns.push({ label: tenantLabel });
  columns.push({ label: "Started (UTC)" }, { label: "Ended (UTC)" }, { label: "Requests", numeric: true });
  const pageLabel = `Page ${page + 1}`;
  const go = (to) => {
    store.listPage = to;
    loadSessionList(view).then(() => store.ui?.list.heading.focus());
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
        stack: true,
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
          if (tenantLabel) cells.push(tenantOf(level, s));
          cells.push(formatTime(s.started_at, COLUMN), formatTime(s.ended_at, COLUMN), formatInt(s.requests));
          return cells;
        }),
      }),
      { unbounded: true },
    ),
    h(
      "nav",
      { class: "pager", "aria-label": "Session pages" },
      h("button", { type: "button", disabled: page === 0, onclick: () => go(page - 1) }, "← Newer"),
      h("span", { "data-testid": "sessions-page" }, pageLabel),
      h(
        "button",
        {
          type: "button",
          disabled: !store.listPages[page + 1],
          onclick: () => go(page + 1),
          "data-testid": "sessions-older",
        },
        "Older →",
      ),
    ),
  );
}

/** Mark the open session's link in the list (no reload). */
export function markSelectedSession(sessionId) {
  for (const a of store.ui.list.body.querySelectorAll("a.session-link")) {
    if (a.dataset.session === sessionId) a.setAttribute("aria-current", "true");
    else a.removeAttribute("aria-current");
  }
}
