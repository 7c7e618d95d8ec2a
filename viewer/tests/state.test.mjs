// Unit tests of the URL state and scope rules (pure functions): `npm test` in viewer/.
import assert from "node:assert/strict";
import { test } from "node:test";

import { breadcrumbs, cleanScope, levelOf, parseHash, presetRange, toHash, withinScope } from "../src/js/state.js";

const TODAY = "2026-11-26";

test("a custom range round-trips through the hash", () => {
  // Given a view with an explicit range, a reseller scope and an open session
  const state = {
    preset: "custom",
    from: "2026-11-11",
    to: "2026-11-20",
    grain: "week",
    scope: { client_id: "acme", reseller_id: "north" },
    session: "s-1",
  };
  // When it is written to a hash and read back
  const back = parseHash(toHash(state), TODAY);
  // Then nothing is lost
  assert.deepEqual(back, state);
});

test("presets stay relative to today and unknown values fall back to defaults", () => {
  // Given hashes with a preset, junk, and a reversed range
  assert.deepEqual(parseHash("#preset=last7", TODAY), {
    preset: "last7",
    from: "2026-11-20",
    to: "2026-11-26",
    grain: "day",
    scope: {},
    session: null,
  });
  const junk = parseHash("#preset=forever&grain=minute&from=2026-02-30", TODAY);
  // Then junk becomes the 30-day default (Feb 30 is not a date) ...
  assert.equal(junk.preset, "last30");
  assert.equal(junk.from, "2026-10-28");
  assert.equal(junk.grain, "day");
  // ... and a reversed custom range is put in order
  const reversed = parseHash("#from=2026-11-20&to=2026-11-01", TODAY);
  assert.deepEqual([reversed.from, reversed.to], ["2026-11-01", "2026-11-20"]);
  assert.deepEqual(presetRange("month", TODAY), { from: "2026-11-01", to: TODAY });
  assert.deepEqual(presetRange("last90", TODAY), { from: "2026-08-29", to: TODAY });
});

test("scope levels and reachability follow the tenancy path", () => {
  const reseller = { level: "reseller", client_id: "acme", reseller_id: "north" };
  // Then a reseller reaches its users but not its client nor a sibling reseller
  assert.equal(levelOf({ client_id: "acme", reseller_id: "north", user_id: "u-1" }), "user");
  assert.ok(withinScope({ client_id: "acme", reseller_id: "north", user_id: "u-1" }, reseller));
  assert.ok(!withinScope({ client_id: "acme" }, reseller));
  assert.ok(!withinScope({ client_id: "acme", reseller_id: "south" }, reseller));
  // And a user id without its reseller is not a consistent scope
  assert.deepEqual(cleanScope({ client_id: "acme", user_id: "u-1" }), { client_id: "acme" });
  const crumbs = breadcrumbs({ client_id: "acme", reseller_id: "north", user_id: "u-1" }, reseller);
  assert.deepEqual(
    crumbs.map((c) => [c.level, c.reachable, c.current]),
    [
      ["global", false, false],
      ["client", false, false],
      ["reseller", true, false],
      ["user", true, true],
    ],
  );
});
