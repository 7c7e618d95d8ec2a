// The viewer: sign-in, then one dashboard whose whole state is in the URL hash.
// Every section renders one of four states (loading, empty, error, data); a 401 anywhere
// returns to sign-in, a 403 anywhere replaces every number with a "not allowed" panel.
//
// This module routes: it decides from the URL and the store which view must (re)load.
// The views are in views/ (shell, metrics, sessions, session detail); their state in store.js.

import { createApi, loadConfig } from "./api.js";
import { auth } from "./auth.js";
import { destroyAll } from "./charts.js";
import { renderSignIn } from "./signin.js";
import * as S from "./state.js";
import { hooks, resetStore, store } from "./store.js";
import { loadSessionDetail } from "./views/detail.js";
import { loadMetrics } from "./views/metrics.js";
import { loadSessionList, markSelectedSession } from "./views/sessions.js";
import { buildShell, clearViewMessages, currentState, main, showNotAllowed, showView } from "./views/shell.js";

function signOut(notice) {
  auth.clear();
  destroyAll();
  resetStore();
  showSignIn(notice);
}

function showSignIn(notice = "") {
  document.title = "Sign in · Request analytics";
  renderSignIn(main(), {
    api: store.api,
    demoTokens: store.demoTokens,
    notice,
    onSignedIn: () => {
      render();
      // The sign-in form is gone: put keyboard and screen-reader focus at the start of the view.
      main().focus();
    },
  });
}

function render() {
  const principal = auth.principal();
  if (!auth.token() || !principal) {
    showSignIn();
    return;
  }
  if (!store.ui?.content.isConnected) {
    buildShell();
    store.dataKey = null;
    store.session = undefined;
  }
  const state = currentState();
  // No scope in the URL means "my own scope": make it explicit so every call agrees.
  const scope = Object.keys(state.scope).length ? state.scope : S.cleanScope(principal);
  const view = { ...state, scope };
  showView(view, principal);

  const dataKey = JSON.stringify([view.from, view.to, view.grain, view.scope]);
  if (dataKey !== store.dataKey) {
    store.dataKey = dataKey;
    store.listPages = [null];
    store.listPage = 0;
    clearViewMessages();
    loadMetrics(view);
    loadSessionList(view);
  } else if (!store.ui.notAllowed.hidden) {
    return;
  } else {
    markSelectedSession(view.session);
  }
  if (view.session !== store.session) {
    store.session = view.session;
    loadSessionDetail(view);
  }
}

hooks.render = render;
hooks.unauthorized = () => signOut("Your token has expired or is no longer valid. Sign in again.");
hooks.forbidden = showNotAllowed;

async function start() {
  const { apiBase, demoTokens } = await loadConfig();
  store.api = createApi({ apiBase, getToken: auth.token });
  store.demoTokens = demoTokens;
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
