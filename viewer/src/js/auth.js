// Who is signed in: the bearer token and the principal's scope, kept in this tab's
// sessionStorage only (closing the tab or signing out forgets them).

import { cleanScope, levelOf } from "./state.js";

const TOKEN_KEY = "analytics.token";
const PRINCIPAL_KEY = "analytics.principal";

export const auth = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  principal() {
    try {
      const p = JSON.parse(sessionStorage.getItem(PRINCIPAL_KEY) || "null");
      return p && typeof p === "object" ? p : null;
    } catch {
      return null;
    }
  },
  set(token, principal) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(PRINCIPAL_KEY, JSON.stringify(principal));
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(PRINCIPAL_KEY);
  },
};

/** `{level, client_id?, reseller_id?, user_id?}` from any scope-like object (API `scope`, token list). */
export function normalisePrincipal(scope) {
  const clean = cleanScope(scope || {});
  return { level: levelOf(clean), ...clean };
}

export function principalLabel(p) {
  const level = levelOf(p);
  if (level === "global") return "Global operator (all clients)";
  if (level === "client") return `Client ${p.client_id}`;
  if (level === "reseller") return `Reseller ${p.reseller_id} (client ${p.client_id})`;
  return `User ${p.user_id} (reseller ${p.reseller_id}, client ${p.client_id})`;
}
