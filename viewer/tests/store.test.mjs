// Unit tests of the shared load helper (store.js): stale loads are cancelled, auth failures
// are sorted out once. `npm test` in viewer/.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError } from "../src/js/api.js";
import { cancel, hooks, load, resetStore, store } from "../src/js/store.js";

/** A call that answers only when told to, and records whether its request was cancelled. */
function pending() {
  const call = { signal: null, resolve: null, reject: null };
  call.fn = (signal) => {
    call.signal = signal;
    return new Promise((resolve, reject) => {
      Object.assign(call, { resolve, reject });
      signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    });
  };
  return call;
}

function signedIn() {
  resetStore();
  store.ui = {};
  const seen = { unauthorized: 0, forbidden: [] };
  hooks.unauthorized = () => {
    seen.unauthorized += 1;
  };
  hooks.forbidden = (message) => seen.forbidden.push(message);
  return seen;
}

test("a newer load of the same view cancels the older one, whose answer is dropped", async () => {
  signedIn();
  // Given a first load still waiting for the API
  const first = pending();
  const older = load("metrics", [first.fn]);
  // When the view changes and a second load starts
  const second = pending();
  const newer = load("metrics", [second.fn]);
  second.resolve({ series: [1] });
  // Then the first request was aborted and resolves to nothing, the second to its answer
  assert.equal(first.signal.aborted, true);
  assert.equal(await older, null);
  const results = await newer;
  assert.deepEqual(results, [{ status: "fulfilled", value: { series: [1] } }]);
  assert.equal(second.signal.aborted, false);
});

test("loads of different views do not cancel each other; sign-out cancels all", async () => {
  signedIn();
  const metrics = pending();
  const sessions = pending();
  const a = load("metrics", [metrics.fn]);
  const b = load("sessions", [sessions.fn]);
  assert.equal(metrics.signal.aborted, false);
  // When the user signs out
  resetStore();
  // Then both requests stop and neither answer is used
  assert.deepEqual([metrics.signal.aborted, sessions.signal.aborted], [true, true]);
  assert.deepEqual(await Promise.all([a, b]), [null, null]);
});

test("a 401 signs out and a 403 shows not allowed, once per load; other errors reach the view", async () => {
  const seen = signedIn();
  const expired = await load("metrics", [
    async () => ({ ok: 1 }),
    async () => {
      throw new ApiError(401, "unauthorized", "token expired");
    },
  ]);
  assert.equal(expired, null);
  assert.equal(seen.unauthorized, 1);

  const forbidden = await load("sessions", [
    async () => {
      throw new ApiError(403, "forbidden", "outside your scope");
    },
  ]);
  assert.equal(forbidden, null);
  assert.deepEqual(seen.forbidden, ["outside your scope"]);

  const failed = await load("detail", [
    async () => {
      throw new ApiError(404, "not_found", "no such session");
    },
  ]);
  assert.equal(failed[0].status, "rejected");
  assert.equal(failed[0].reason.status, 404);
  cancel();
});
