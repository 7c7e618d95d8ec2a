// The sign-in page: a token field, and on the local server the list of its demo tokens.
// The API has no "who am I" route: a one-day series without scope answers with the
// principal's own `scope`, which is also a cheap check that the token works.

import { ApiError } from "./api.js";
import { auth, normalisePrincipal, principalLabel } from "./auth.js";
import { h, replace } from "./dom.js";
import { todayUtc } from "./state.js";

async function signIn(api, token, errorEl, button, onSignedIn) {
  errorEl.textContent = "";
  const label = button.textContent;
  button.disabled = true;
  button.textContent = "Signing in…";
  try {
    const today = todayUtc();
    const body = await api.sessionsSeries({ grain: "day", from: today, to: today }, { token });
    auth.set(token, normalisePrincipal(body.scope));
    onSignedIn();
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 0;
    const text = err.message || String(err);
    const wait = err instanceof ApiError && err.retryAfter ? ` Try again in ${err.retryAfter} s.` : "";
    errorEl.textContent =
      status === 401 || status === 403
        ? "The API did not accept this token."
        : `${wait && !/[.!?]$/.test(text) ? `${text}.` : text}${wait}`;
    button.disabled = false;
    button.textContent = label;
  }
}

async function loadDemoTokens(api, container, errorEl, onSignedIn) {
  // Only the local server started with --demo-tokens answers this route, and only then does
  // its config.json say `demoTokens: true` (the page asks for nothing that would be a 404).
  let body;
  try {
    body = await api.demoTokens();
  } catch {
    return;
  }
  const tokens = Array.isArray(body?.tokens) ? body.tokens : [];
  if (!tokens.length || !container.isConnected) return;
  replace(
    container,
    h("h2", { id: "demo-title" }, "Demo tokens"),
    h("p", { class: "muted" }, "This local server lists its demo tokens. Choose one to sign in with it."),
    h(
      "ul",
      { class: "token-list" },
      tokens.map((t) => {
        const principal = normalisePrincipal(t.principal);
        const button = h(
          "button",
          { type: "button", class: "secondary", "data-level": principal.level },
          `Sign in as ${principalLabel(principal)}`,
        );
        button.addEventListener("click", () => signIn(api, t.token, errorEl, button, onSignedIn));
        return h("li", {}, button, " ", h("code", {}, t.token));
      }),
    ),
  );
  container.hidden = false;
}

/** Replace `container` with the sign-in page; `onSignedIn` runs once a token is accepted. */
export function renderSignIn(container, { api, demoTokens = false, notice = "", onSignedIn }) {
  document.getElementById("who").hidden = true;
  const error = h("p", { id: "signin-error", class: "error-text", role: "alert" });
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-help signin-error",
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const demo = h("section", { class: "demo-tokens", "aria-labelledby": "demo-title", hidden: true });
  const form = h(
    "form",
    {
      class: "signin-form",
      onsubmit: (ev) => {
        ev.preventDefault();
        const token = input.value.trim();
        if (!token) {
          error.textContent = "Enter a token.";
          input.focus();
          return;
        }
        signIn(api, token, error, submit, onSignedIn);
      },
    },
    h("label", { for: "token" }, "Access token"),
    h("p", { id: "token-help", class: "muted" }, "Your token decides which clients, resellers and users you can see."),
    h("div", { class: "row" }, input, submit),
    error,
  );
  replace(
    container,
    h(
      "section",
      { class: "card signin", "aria-labelledby": "signin-title" },
      h("h1", { id: "signin-title" }, "Sign in"),
      notice ? h("p", { class: "notice", role: "status", "data-testid": "signin-notice" }, notice) : null,
      form,
      demo,
    ),
  );
  input.focus();
  if (demoTokens) loadDemoTokens(api, demo, error, onSignedIn);
}
