"""The simulator's fast rendering of a request line is the JSON encoding of the same event."""

from __future__ import annotations

import json
from datetime import date

from ingest_lambda.simulate import Simulator, ms_text


def test_a_rendered_request_is_the_json_encoding_of_the_same_event() -> None:
    # Given two simulators in the same random state, for many requests
    sim, twin = Simulator(5, 3, 10, 3, date(2026, 11, 20)), Simulator(5, 3, 10, 3, date(2026, 11, 20))
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    carts = offsets = 0
    for n in range(3000):
        r = sim.resellers[n % len(sim.resellers)][n % 2]
        ms = sim.start_ms + n * 7_919_123
        twin.rng.setstate(sim.rng.getstate())

        # When one renders the line from its draws and the other builds the event object
        ids = f'"session_id":"s-{n}","client_id":"{r.client_id}","reseller_id":"{r.reseller_id}",'
        ids += '"user_id":"u-1"'
        at = ms_text(ms)
        text = sim._event_text(r, ids, at, f"r-{n}", sim._draw(ms, at))
        event = twin._event(r, f"s-{n}", "u-1", ms, f"r-{n}")

        # Then the text is exactly json's encoding of the object, and both used the same draws
        assert text == encode(event)
        assert sim.rng.getstate() == twin.rng.getstate()
        carts += len(event["analytics"]["products"]) > 1
        offsets += event["analytics"]["occurred_at"] != event["timestamp"]
    # And the requests covered carts of several products and times at an offset
    assert carts > 100
    assert offsets > 100
