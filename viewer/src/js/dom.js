// Tiny DOM helpers. Text always goes in through textContent, never innerHTML, so nothing the
// API returns (product names, paths) can inject markup.

/** h("button", {class: "x", onclick: fn}, "text", child) -> element */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * A data table: `columns` are {label, numeric?}; `rows` are arrays of cells (text or nodes).
 * The first cell of each row is a row header so screen readers announce it with each value.
 * `stack` lets a narrow screen show each row as a block of "label: value" lines (styles.css)
 * instead of a table wider than the screen; every cell carries its column's label for that.
 */
export function dataTable({ caption, columns, rows, testid, captionHidden = false, stack = false }) {
  const cellAttrs = (i) => ({
    class: columns[i].numeric ? "num" : null,
    "data-label": stack ? columns[i].label : null,
  });
  return h(
    "table",
    { class: stack ? "data stack" : "data", "data-testid": testid },
    h("caption", { class: captionHidden ? "visually-hidden" : null }, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : null }, c.label)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((cells) =>
        h(
          "tr",
          {},
          cells.map((cell, i) =>
            i === 0 ? h("th", { scope: "row", ...cellAttrs(i) }, cell) : h("td", cellAttrs(i), cell),
          ),
        ),
      ),
    ),
  );
}

/** `text` with every ISO date or time in it kept on one line ("on 2026-11-12", never "2026-/11-12"). */
export function unbroken(text) {
  return String(text)
    .split(/(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?)/)
    .map((part, i) => (i % 2 ? h("span", { class: "nowrap" }, part) : part))
    .filter((part) => part !== "");
}

/** A scrollable region that keyboard users can focus and scroll. */
export function scrollBox(label, child, { unbounded = false } = {}) {
  const cls = unbounded ? "table-scroll unbounded" : "table-scroll";
  return h("div", { class: cls, tabindex: "0", role: "region", "aria-label": label }, child);
}
