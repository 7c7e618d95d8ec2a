// Unit tests of the API client's error handling and of number formatting: `npm test` in viewer/.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, createApi, loadConfig } from "../src/js/api.js";
import {
  countOf,
  formatInt,
  formatMoney,
  formatPeriod,
  formatRatio,
  formatTime,
  formatWhen,
  grainly,
} from "../src/js/format.js";

function answer(status, body, headers = {}) {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init });
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers });
  };
  return { calls, fetchImpl };
}

test("requests carry the token and the query, against the configured base", async () => {
  // Given an API on another origin and a signed-in token
  const { calls, fetchImpl } = answer(200, { series: [] });
  const api = createApi({ apiBase: "https://api.example.com", getToken: () => "t-1", fetchImpl });
  // When a series is asked for (empty parameters are left out)
  await api.sessionsSeries({ grain: "day", from: "2026-11-01", to: "2026-11-02", client_id: "" });
  // Then the URL and the bearer header are right
  assert.equal(calls[0].url, "https://api.example.com/v1/metrics/sessions?grain=day&from=2026-11-01&to=2026-11-02");
  assert.equal(calls[0].init.headers.Authorization, "Bearer t-1");
  // And a session id is escaped into its path, with its start day when the list gave one
  await api.sessionRequests("a/b");
  assert.equal(calls[1].url, "https://api.example.com/v1/sessions/a%2Fb/requests");
  await api.sessionRequests("s-1", "2026-11-20");
  assert.equal(calls[2].url, "https://api.example.com/v1/sessions/s-1/requests?started_on=2026-11-20");
});

test("the API's JSON error becomes an ApiError with its message, field and Retry-After", async () => {
  // Given a 503 with the API's error body
  const { fetchImpl } = answer(
    503,
    { error: { code: "backend_unavailable", message: "warehouse missing" } },
    { "Retry-After": "30" },
  );
  const api = createApi({ apiBase: "", getToken: () => "t", fetchImpl });
  // Then the error keeps what the API said
  await assert.rejects(api.products({}), (err) => {
    assert.ok(err instanceof ApiError);
    assert.deepEqual(
      [err.status, err.code, err.message, err.retryAfter],
      [503, "backend_unavailable", "warehouse missing", 30],
    );
    return true;
  });
  // And a 400 names its field
  const bad = createApi({
    apiBase: "",
    getToken: () => "t",
    fetchImpl: answer(400, { error: { code: "invalid_parameter", message: "too long", field: "to" } }).fetchImpl,
  });
  await assert.rejects(
    bad.breakdown({}),
    (err) => err.status === 400 && err.field === "to" && err.message === "too long",
  );
});

test("a body that is not JSON and a dead network both give readable errors", async () => {
  const html = createApi({
    apiBase: "",
    getToken: () => null,
    fetchImpl: answer(502, "<html>Bad gateway</html>").fetchImpl,
  });
  await assert.rejects(html.sessions({}), (err) => err.status === 502 && err.message === "The API answered HTTP 502.");
  const down = createApi({
    apiBase: "http://127.0.0.1:9",
    getToken: () => null,
    fetchImpl: async () => {
      throw new TypeError("fetch failed");
    },
  });
  await assert.rejects(down.sessions({}), (err) => err.status === 0 && /Cannot reach/.test(err.message));
});

test("config.json sets the API base; a missing file means the same origin", async () => {
  assert.deepEqual(await loadConfig(answer(200, { apiBase: "https://api.example.com/" }).fetchImpl), {
    apiBase: "https://api.example.com",
    demoTokens: false,
  });
  assert.deepEqual(await loadConfig(answer(404, "not found").fetchImpl), { apiBase: "", demoTokens: false });
});

test("only a config.json that says so makes the page ask for demo tokens", async () => {
  // Given the local server's config (it adds demoTokens when started with --demo-tokens)
  const local = await loadConfig(answer(200, { apiBase: "", demoTokens: true }).fetchImpl);
  // Then the page asks; anything but a literal true does not
  assert.equal(local.demoTokens, true);
  assert.equal((await loadConfig(answer(200, { apiBase: "", demoTokens: "yes" }).fetchImpl)).demoTokens, false);
});

test("numbers are formatted the same way whatever the browser's locale", () => {
  assert.equal(formatInt(1234567), "1,234,567");
  assert.equal(formatRatio(4.125), "4.13");
  assert.equal(formatMoney("1234.5", "GBP"), "£1,234.50");
  assert.equal(formatMoney(3, "XXX-not-a-currency"), "3.00 XXX-not-a-currency");
  assert.equal(formatPeriod("2026-11-02T00:00:00Z", "week"), "Week of 2026-11-02");
  assert.equal(formatPeriod("2026-11-02T13:00:00Z", "hour"), "2026-11-02 13:00");
  assert.equal(formatPeriod("2026-11-01T00:00:00Z", "month"), "Nov 2026");
  assert.equal(formatTime("2026-11-12T14:03:27.5Z"), "2026-11-12 14:03:27 UTC");
  assert.equal(formatTime("2026-11-12T14:03:27Z", { zone: false }), "2026-11-12 14:03:27");
});

test("a period reads naturally at the end of a sentence", () => {
  // "150 on 2026-11-26", never "150 in 2026-11-26"
  assert.equal(formatWhen("2026-11-26T00:00:00Z", "day"), "on 2026-11-26");
  assert.equal(formatWhen("2026-11-26T13:00:00Z", "hour"), "at 2026-11-26 13:00");
  assert.equal(formatWhen("2026-11-23T00:00:00Z", "week"), "in the week of 2026-11-23");
  assert.equal(formatWhen("2026-11-01T00:00:00Z", "month"), "in Nov 2026");
  assert.deepEqual([countOf(1, "day"), countOf(30, "day"), countOf(1200, "hour")], ["1 day", "30 days", "1,200 hours"]);
  assert.deepEqual(["hour", "day", "week", "month"].map(grainly), ["hourly", "daily", "weekly", "monthly"]);
});
