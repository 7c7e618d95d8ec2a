"""Browser tests of the viewer: headless Chromium against the real API over the dbt-built warehouse.

Every number the page shows is compared with what the API answers for the same view, fetched
directly by the test. Full-page screenshots land in tests/artifacts/viewer/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.viewer.conftest import open_page

if TYPE_CHECKING:
    from tests.viewer.conftest import Api, Tenants

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEVELS = ["global", "client", "reseller", "user"]
CHILD = {"global": "client", "client": "reseller", "reseller": "user", "user": None}
PRODUCTS_LIMIT = 10  # what the page asks for (viewer/src/js/views/metrics.js)
SESSIONS_PAGE_SIZE = 20  # (viewer/src/js/views/sessions.js)
# axe-core's rule sets the page must pass: WCAG 2.1 A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE = {"width": 390, "height": 844}


# ------------------------------------------------------------------------------------------ helpers


def view_hash(t: Tenants, scope: dict[str, str] | None = None, grain: str = "day", **extra: str) -> str:
    params = {**dates(t), "grain": grain, **(scope or {}), **extra}
    return "#" + urllib.parse.urlencode(params)


def dates(t: Tenants) -> dict[str, str]:
    """The simulated range as the API's `from`/`to` parameters (`from` is a Python keyword)."""
    return {"from": t.first_date, "to": t.last_date}


def scope_of(t: Tenants, level: str) -> dict[str, str]:
    return {"global": {}, "client": t.client, "reseller": t.reseller, "user": t.user}[level]


def range_params(t: Tenants, scope: dict[str, str], grain: str = "day") -> dict[str, str]:
    return {"grain": grain, **dates(t), **scope}


def wait_until_settled(page: Any) -> None:
    """Wait until no section is in its loading state any more."""
    page.wait_for_function("document.querySelectorAll('[aria-busy=true]').length === 0")


def wait_until_loaded(page: Any) -> None:
    """Wait for the dashboard's first answer, then for every section to leave its loading state."""
    page.wait_for_selector("[data-testid=total-sessions], [data-testid=not-allowed]:visible")
    wait_until_settled(page)


def sign_in(page: Any, api: Api, level: str, url_hash: str, typed: bool = False) -> None:
    page.goto(f"{api.base}/{url_hash}")
    if typed:
        page.get_by_label("Access token").fill(api.tokens[level])
        page.get_by_role("button", name="Sign in", exact=True).click()
    else:
        # The local server lists its demo tokens; each is a button naming the principal.
        page.locator(f".token-list button[data-level={level}]").click()
    page.wait_for_selector("[data-testid=principal]:visible")
    wait_until_loaded(page)


def table_rows(page: Any, testid: str) -> list[list[str]]:
    return page.locator(f"[data-testid={testid}] tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


def as_decimal(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


def close_to(shown: str, value: float, places: int = 2) -> bool:
    return abs(float(as_decimal(shown)) - float(value)) <= 0.5 * 10**-places + 1e-9


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def assert_accessible(page: Any, axe_script: str, where: str) -> None:
    """axe-core finds no violation of WCAG 2.1 A/AA or of its best practices on the page as it is."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_script)
    violations = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(result =>
            result.violations.map(v =>
                `${v.id} (${v.help}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`))""",
        AXE_TAGS,
    )
    assert violations == [], f"axe-core on {where}:\n" + "\n".join(violations)


def overflowing(page: Any, selector: str) -> list[str]:
    """Elements matching `selector` whose content is wider than their box (they scroll sideways)."""
    return page.locator(selector).evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1)"
        ".map(e => `${e.getAttribute('aria-label') || e.tagName}: ${e.scrollWidth} > ${e.clientWidth}`)"
    )


def utc(iso: str) -> str:
    """An API timestamp as a table column headed "(UTC)" shows it: "2026-11-20 23:58:02"."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def first_max(points: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The first point with the largest `key` (the page names the earliest of equal peaks)."""
    return max(points, key=lambda p: Decimal(str(p[key])))


def view_title(scope: dict[str, str]) -> str:
    if not scope:
        return "All clients"
    if "user_id" in scope:
        return f"User {scope['user_id']} (reseller {scope['reseller_id']}, client {scope['client_id']})"
    if "reseller_id" in scope:
        return f"Reseller {scope['reseller_id']} (client {scope['client_id']})"
    return f"Client {scope['client_id']}"


def assert_dashboard_matches_api(page: Any, api: Api, t: Tenants, level: str, scope: dict[str, str]) -> None:
    """Totals, series, breakdown, products and sessions on the page equal the API's answers."""
    params = range_params(t, scope)
    series_body = api.get("/v1/metrics/sessions", level, **params)
    series = series_body["series"]
    by = CHILD[_level_of(scope)] or "user"
    breakdown = api.get("/v1/metrics/sessions/breakdown", level, **params, by=by)["rows"]
    products = api.get("/v1/metrics/products", level, **params, limit=PRODUCTS_LIMIT)["products"]
    sessions = api.get(
        "/v1/sessions", level, **{k: v for k, v in params.items() if k != "grain"}, limit=SESSIONS_PAGE_SIZE
    )["sessions"]
    assert sum(p["sessions"] for p in series) > 0, "the chosen tenant should have data in the range"

    # Totals: distinct sessions over the range come from the breakdown, requests add up.
    total_sessions = sum(r["sessions"] for r in breakdown)
    total_requests = sum(p["requests"] for p in series)
    assert as_int(page.locator("[data-testid=total-sessions] dd").inner_text()) == total_sessions
    assert as_int(page.locator("[data-testid=total-requests] dd").inner_text()) == total_requests
    assert close_to(page.locator("[data-testid=total-rps] dd").inner_text(), total_requests / total_sessions)
    peak = first_max(series, "sessions")
    assert page.locator("[data-testid=busiest-period] dd").inner_text() == (
        f"{peak['period_start'][:10]} ({plural(peak['sessions'], 'session')})"
    )

    # The heading names the view; the note says which whole periods the API counted.
    assert page.locator("h1").inner_text() == view_title(scope)
    assert page.locator("[data-testid=range-note]").inner_text() == (
        f"Showing daily figures for {series_body['from']} to {series_body['to']} (UTC)."
    )

    # The captions read as sentences and hold the series' own figures.
    active = [p for p in series if p["sessions"]]
    assert page.locator("[data-testid=sessions-caption]").inner_text() == (
        f"{plural(len(series), 'day')}, {len(active):,} with sessions. "
        f"Most sessions: {peak['sessions']:,}, on {peak['period_start'][:10]}."
    )
    top = first_max(active, "requests_per_session")
    caption = re.fullmatch(
        r"Highest: ([\d,.]+) requests per session, on (\d{4}-\d{2}-\d{2})\.",
        page.locator("[data-testid=rps-caption]").inner_text(),
    )
    assert caption, page.locator("[data-testid=rps-caption]").inner_text()
    assert close_to(caption.group(1), top["requests_per_session"])
    assert caption.group(2) == top["period_start"][:10]

    # Every period of the dense series, in order.
    shown = table_rows(page, "series-table")
    assert [(r[0], as_int(r[1]), as_int(r[2])) for r in shown] == [
        (p["period_start"][:10], p["sessions"], p["requests"]) for p in series
    ]
    rps = table_rows(page, "rps-table")
    for row, point in zip(rps, series, strict=True):
        if point["sessions"]:
            assert close_to(row[1], point["requests_per_session"]), (row, point)
        else:
            assert row[1] == "—"

    # The drill-down list: one row per child with its range totals.
    child = CHILD[_level_of(scope)]
    if child:
        key = f"{child}_id"
        shown_drill = table_rows(page, "drill-table")
        drill = {r[0]: (as_int(r[1]), as_int(r[2])) for r in shown_drill}
        assert drill == {r[key]: (r["sessions"], r["requests"]) for r in breakdown}
        ratios = {r[key]: r["requests_per_session"] for r in breakdown}
        for row in shown_drill:
            assert close_to(row[3], ratios[row[0]]), row
    else:
        assert page.locator("[data-testid=drill-table]").count() == 0

    # Top products in the API's order, with revenue in the product's currency.
    shown_products = table_rows(page, "products-table")
    assert len(shown_products) == len(products) > 0
    currencies = sorted({p["currency"] for p in products})
    products_caption = page.locator("[data-testid=products-caption]").inner_text()
    assert products_caption.startswith(
        f"Top {plural(len(products), 'product')} by requests; bars show revenue in "
    )
    assert all(c in products_caption for c in currencies)
    for row, product in zip(shown_products, products, strict=True):
        assert row[0].startswith(product["name"])
        assert row[0].endswith(product["product_id"])
        assert [as_int(x) for x in row[2:5]] == [
            product["requests"],
            product["sessions"],
            product["quantity"],
        ]
        assert close_to(row[5], float(product["revenue"]))

    # The first page of sessions, newest first.
    shown_sessions = table_rows(page, "sessions-table")
    assert [r[0] for r in shown_sessions] == [s["session_id"] for s in sessions]
    assert [as_int(r[-1]) for r in shown_sessions] == [s["requests"] for s in sessions]
    times = [[utc(s["started_at"]), utc(s["ended_at"])] for s in sessions]
    assert [r[-3:-1] for r in shown_sessions] == times
    # Below the user level each session names its tenant under the view (a user's are its own).
    tenant_keys = ["client_id", "reseller_id", "user_id"][len(scope) :]
    if tenant_keys:
        tenants_shown = [r[1] for r in shown_sessions]
        assert tenants_shown == [" / ".join(s[k] for k in tenant_keys) for s in sessions]


def _level_of(scope: dict[str, str]) -> str:
    return LEVELS[len(scope)]


def assert_not_allowed(page: Any) -> None:
    """The not-allowed panel is shown and no number of any section is left on the page."""
    page.wait_for_selector("[data-testid=not-allowed]:visible")
    assert page.locator("#content").is_hidden()
    assert page.locator("#content table, #content canvas, [data-testid=total-sessions]").count() == 0
    assert "Not allowed" in page.locator("[data-testid=not-allowed]").inner_text()


# ------------------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("level", LEVELS)
def test_sign_in_at_each_level_shows_the_apis_numbers(page, api, tenants, artifacts, axe_script, level):
    # Given a link to the simulated range and the demo token of one level
    url_hash = view_hash(tenants)
    page.goto(f"{api.base}/{url_hash}")
    page.wait_for_selector(".token-list button")
    assert page.locator("h1").inner_text() == "Sign in"
    assert_accessible(page, axe_script, "the sign-in page")

    # When the person signs in (typing the token at global level, the demo button elsewhere)
    sign_in(page, api, level, url_hash, typed=level == "global")

    # Then the page names the principal and every figure equals the API's for that scope
    principal = page.locator("[data-testid=principal]").inner_text()
    for value in scope_of(tenants, level).values():
        assert value in principal
    assert_dashboard_matches_api(page, api, tenants, level, scope_of(tenants, level))
    assert page.locator("#preset").input_value() == "custom"
    # The date fields show ISO dates as typed text (a date input would show the locale's 11/02/2026)
    assert page.locator("#from").get_attribute("type") == "text"
    assert page.locator("#from").input_value() == tenants.first_date
    assert page.locator("#to").input_value() == tenants.last_date
    assert_accessible(page, axe_script, f"the {level} dashboard")
    shot(page, artifacts, f"dashboard-{level}")


def test_drill_down_from_global_to_a_user(page, api, tenants, artifacts):
    # Given an operator on the global view
    sign_in(page, api, "global", view_hash(tenants))

    # When they drill into the client, then its reseller, then its user
    path: dict[str, str] = {}
    for key, value in (
        ("client_id", tenants.client["client_id"]),
        ("reseller_id", tenants.reseller["reseller_id"]),
        ("user_id", tenants.user["user_id"]),
    ):
        page.locator(f"a.drill-link[data-id='{value}']").click()
        path[key] = value
        page.wait_for_function(f"location.hash.includes({urllib.parse.urlencode({key: value})!r})")
        wait_until_loaded(page)

        # Then each level shows the API's numbers for that scope, and the breadcrumbs follow
        assert_dashboard_matches_api(page, api, tenants, "global", dict(path))
        current = page.locator(".crumbs [aria-current=page]").inner_text()
        assert value in current
    shot(page, artifacts, "drill-down-user")

    # And a breadcrumb leads back up to the client
    page.locator(".crumbs a[data-level=client]").click()
    page.wait_for_function("!location.hash.includes('reseller_id')")
    wait_until_loaded(page)
    assert_dashboard_matches_api(page, api, tenants, "global", tenants.client)


def test_reseller_cannot_reach_another_reseller(page, console, api, tenants, artifacts, axe_script):
    # Given a reseller signed in on its own view (the API's refusals below are the point)
    console.expect_http_errors(403)
    sign_in(page, api, "reseller", view_hash(tenants))

    # Then nothing on the page leads outside its scope: no link up to the client or global level,
    # and the drill-down list holds only its own users
    assert page.locator(".crumbs a[data-level=global], .crumbs a[data-level=client]").count() == 0
    hrefs = page.locator("a.drill-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs
    own = urllib.parse.urlencode(tenants.reseller)
    assert all(own in h for h in hrefs), hrefs

    # When the URL is edited to a sibling reseller of the same client
    page.goto(f"{api.base}/{view_hash(tenants, tenants.sibling_reseller)}")

    # Then the page shows the not-allowed state and no numbers, as the API refuses it
    assert_not_allowed(page)
    status, body = api.get_status(
        "/v1/metrics/sessions", "reseller", **range_params(tenants, tenants.sibling_reseller)
    )
    assert status == 403, body
    assert_accessible(page, axe_script, "the not-allowed panel")
    shot(page, artifacts, "reseller-not-allowed")

    # And the same reseller id under another client is another tenant, also refused
    if tenants.colliding_reseller:
        page.goto(f"{api.base}/{view_hash(tenants, tenants.colliding_reseller)}")
        # The breadcrumbs change in the same task that starts loading: after them, wait for the answer.
        client = tenants.colliding_reseller["client_id"]
        page.wait_for_selector(f".crumbs li:has-text('Client {client}')")
        wait_until_settled(page)
        assert_not_allowed(page)

    # And the way back restores the reseller's own numbers
    page.get_by_role("button", name="Go to your own view").click()
    page.wait_for_selector("[data-testid=total-sessions]")
    wait_until_loaded(page)
    assert_dashboard_matches_api(page, api, tenants, "reseller", tenants.reseller)


def test_open_a_sessions_requests_and_share_the_link(page, api, tenants, artifacts, axe_script):
    # Given a reseller on its own view
    sign_in(page, api, "reseller", view_hash(tenants))
    listed = api.get(
        "/v1/sessions",
        "reseller",
        **dates(tenants),
        limit=SESSIONS_PAGE_SIZE,
    )
    session_id = listed["sessions"][0]["session_id"]

    # When they open the newest session
    with page.expect_request(lambda r: f"/v1/sessions/{session_id}/requests" in r.url) as asked:
        page.locator(f"a.session-link[data-session='{session_id}']").click()
    page.wait_for_selector("[data-testid=requests-table]")
    # (the viewer passes the session's start day from the list, which spares Athena partitions)
    assert asked.value.url.endswith(f"?started_on={listed['sessions'][0]['started_at'][:10]}")

    # Then its requests and their products are those the API answers, in time order
    expected = api.get(f"/v1/sessions/{session_id}/requests", "reseller")["requests"]

    def check_requests() -> None:
        rows = table_rows(page, "requests-table")
        assert len(rows) == len(expected) > 0
        for row, request in zip(rows, expected, strict=True):
            assert row[0] == utc(request["occurred_at"])
            assert row[1:5] == [
                request["method"],
                request["path"],
                str(request["status"]),
                f"{request['duration_ms']:,}",
            ]
        shown_products = page.locator("[data-testid=requests-table] li[data-product]").evaluate_all(
            "items => items.map(li => li.dataset.product)"
        )
        assert shown_products == [p["product_id"] for r in expected for p in r["products"]]
        lines = sum(len(r["products"]) for r in expected)
        summary = page.get_by_test_id("session-summary").inner_text()
        assert summary.startswith(f"{plural(len(expected), 'request')} from ")
        assert summary.endswith(f", {plural(lines, 'product line')}.")

    check_requests()
    assert_accessible(page, axe_script, "a session's requests")
    assert f"session={session_id}" in page.evaluate("location.hash")
    shot(page, artifacts, "session-requests")

    # And reloading the link restores the same view with the session open
    page.reload()
    page.wait_for_selector("[data-testid=requests-table]")
    wait_until_loaded(page)
    check_requests()

    # And the next page of sessions is the API's next page
    if listed["next_cursor"]:
        second = api.get(
            "/v1/sessions",
            "reseller",
            **dates(tenants),
            limit=SESSIONS_PAGE_SIZE,
            cursor=listed["next_cursor"],
        )
        page.get_by_test_id("sessions-older").click()
        page.wait_for_selector("[data-testid=sessions-page]:has-text('Page 2')")
        assert [r[0] for r in table_rows(page, "sessions-table")] == [
            s["session_id"] for s in second["sessions"]
        ]

    # And closing the session removes it from the URL
    page.get_by_role("button", name="Close session").click()
    page.wait_for_function("!location.hash.includes('session=')")
    assert page.locator("#session-detail").is_hidden()


def test_a_session_of_another_tenant_is_not_found(page, console, api, tenants):
    # Given a session of the sibling reseller, and the user principal of another reseller
    console.expect_http_errors(404)
    other = api.get(
        "/v1/sessions",
        "global",
        **dates(tenants),
        **tenants.sibling_reseller,
        limit=1,
    )["sessions"][0]["session_id"]

    # When the user opens a link to it
    sign_in(page, api, "user", view_hash(tenants, session=other))

    # Then the session panel says it was not found, and shows none of its requests
    page.wait_for_selector("#session-detail[data-state=not-found]")
    assert page.locator("[data-testid=requests-table]").count() == 0


def test_the_url_restores_grain_and_scope(page, api, tenants):
    # Given a shared link to a reseller's weekly view, opened by an operator
    sign_in(page, api, "global", view_hash(tenants, tenants.reseller, grain="week"))

    # Then the controls and breadcrumbs show that view, with the API's weekly series
    assert page.locator("#grain").input_value() == "week"
    assert tenants.reseller["reseller_id"] in page.locator(".crumbs [aria-current=page]").inner_text()
    series = api.get("/v1/metrics/sessions", "global", **range_params(tenants, tenants.reseller, "week"))[
        "series"
    ]
    shown = table_rows(page, "series-table")
    assert [(r[0], as_int(r[1])) for r in shown] == [
        (f"Week of {p['period_start'][:10]}", p["sessions"]) for p in series
    ]

    # When the grain is changed with the keyboard-operable select
    page.locator("#grain").select_option("month")
    page.wait_for_function("location.hash.includes('grain=month')")
    wait_until_loaded(page)

    # Then the URL and the table follow
    months = api.get("/v1/metrics/sessions", "global", **range_params(tenants, tenants.reseller, "month"))[
        "series"
    ]
    assert len(table_rows(page, "series-table")) == len(months)


def test_empty_range_and_bad_tokens(page, console, api, tenants, artifacts):
    # Given a token the API does not know
    console.expect_http_errors(401)
    page.goto(f"{api.base}/{view_hash(tenants)}")
    page.get_by_label("Access token").fill("not-a-real-token")
    page.get_by_role("button", name="Sign in", exact=True).click()

    # Then sign-in refuses it with a message, and nothing claims someone is signed in
    page.wait_for_selector("#signin-error:has-text('did not accept')")
    assert page.get_by_role("button", name="Sign out").is_hidden()
    shot(page, artifacts, "sign-in")

    # When a real client signs in on a range with no traffic
    sign_in(page, api, "client", "#from=2020-01-01&to=2020-01-07&grain=day")

    # Then the charts say so instead of drawing zeros
    assert "No sessions in this period." in page.locator("#chart-sessions").inner_text()
    assert page.locator("[data-testid=total-requests] dd").inner_text() == "0"

    # When the token stops being valid (expired, revoked) and the view changes
    page.evaluate("sessionStorage.setItem('analytics.token', 'expired-token')")
    page.locator("#grain").select_option("week")

    # Then the page goes back to sign-in and says why
    page.wait_for_selector("[data-testid=signin-notice]")
    assert "expired" in page.locator("[data-testid=signin-notice]").inner_text()


def test_sign_out_clears_the_token(page, api, tenants):
    # Given a signed-in user
    sign_in(page, api, "user", view_hash(tenants))

    # When they sign out
    page.get_by_role("button", name="Sign out").click()

    # Then the token is gone and the sign-in form is back
    page.wait_for_selector("#token")
    assert page.evaluate("sessionStorage.getItem('analytics.token')") is None
    assert page.get_by_role("button", name="Sign out").is_hidden()
    assert "signed out" in page.locator("[data-testid=signin-notice]").inner_text()


def test_loading_and_api_error_states(page, console, api, tenants, artifacts):
    # Given a signed-in client, and the next series request held back by the browser
    console.expect_http_errors(400)
    sign_in(page, api, "client", view_hash(tenants))
    held: list[Any] = []
    page.route("**/v1/metrics/sessions?*", lambda route: held.append(route))

    # When the view changes
    page.locator("#grain").select_option("week")

    # Then the charts say they are loading until the answer arrives
    page.wait_for_selector("#chart-sessions[data-state=loading]")
    assert page.locator("#chart-sessions").get_attribute("aria-busy") == "true"
    page.wait_for_function("() => true")  # let the held request reach the route handler
    assert held, "the series request should have been held"
    held[0].continue_()
    page.unroute("**/v1/metrics/sessions?*")
    page.wait_for_selector("#chart-sessions [data-testid=series-table]")
    wait_until_loaded(page)

    # When the range is too long for hourly figures (the API refuses more than 31 days of hours)
    page.goto(
        f"{api.base}/#from=2026-01-01&to={tenants.last_date}&grain=hour&client_id={tenants.client['client_id']}"
    )
    page.wait_for_selector("[data-testid=view-error]:visible")
    wait_until_settled(page)

    # Then the page shows the API's own message once, next to the controls, and no chart
    status, body = api.get_status(
        "/v1/metrics/sessions",
        "client",
        grain="hour",
        to=tenants.last_date,
        **{"from": "2026-01-01"},
        **tenants.client,
    )
    assert status == 400
    assert body["error"]["message"] in page.locator("[data-testid=view-error]").inner_text()
    assert page.locator("#content canvas, [data-testid=series-table]").count() == 0
    shot(page, artifacts, "api-error")

    # When the grain is fixed, the view recovers and the message goes away
    page.locator("#grain").select_option("week")
    page.wait_for_selector("[data-testid=series-table]")
    assert page.locator("[data-testid=view-error]").is_hidden()


def test_keyboard_and_text_alternatives(page, api, tenants):
    # Given a client on its dashboard
    sign_in(page, api, "client", view_hash(tenants))

    # Then every control has a label, and every chart an accessible name and a table beside it
    for label in ("Period", "From", "To (inclusive)", "Grain"):
        assert page.get_by_label(label, exact=True).is_visible()
    for section in ("#chart-sessions", "#chart-rps", "#products"):
        assert page.locator(f"{section} canvas[role=img][aria-label]").count() == 1
        assert page.locator(f"{section} table tbody tr").count() > 0

    # When the page is opened afresh and the skip link is used from the keyboard
    page.reload()
    wait_until_loaded(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # And a drill-down link is reached by keyboard focus and followed with Enter
    first = page.locator("a.drill-link").first
    reseller = first.get_attribute("data-id")
    first.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    page.keyboard.press("Enter")

    # Then the reseller's view opens (and the focused link showed a visible focus ring)
    page.wait_for_function(f"location.hash.includes({urllib.parse.urlencode({'reseller_id': reseller})!r})")
    wait_until_loaded(page)
    assert outline != "none"
    assert reseller in page.locator(".crumbs [aria-current=page]").inner_text()


def test_backend_down_then_back(page, console, built_warehouse, tokens_file, start_api, tmp_path, artifacts):
    # Given an API whose warehouse file does not exist yet (a real 503 with Retry-After)
    console.expect_http_errors(503)
    _, tokens = tokens_file
    warehouse = tmp_path / "warehouse.duckdb"
    with start_api(warehouse) as down:
        status, body = down.get_status(
            "/v1/metrics/sessions", "reseller", grain="day", to="2026-11-20", **{"from": "2026-11-20"}
        )
        assert status == 503

        # When someone signs in
        page.goto(f"{down.base}/#from=2026-11-11&to=2026-11-20&grain=day")
        page.get_by_label("Access token").fill(tokens["reseller"])
        page.get_by_role("button", name="Sign in", exact=True).click()

        # Then sign-in shows the API's own message rather than "token refused"
        page.wait_for_selector(f"#signin-error:has-text({body['error']['message']!r})")

        # When a tab that was signed in before the outage opens the dashboard
        page.evaluate(
            "t => { sessionStorage.setItem('analytics.token', t); "
            "sessionStorage.setItem('analytics.principal', JSON.stringify({level: 'global'})); }",
            tokens["global"],
        )
        page.reload()
        page.wait_for_selector("[data-testid=view-error]:visible")
        wait_until_settled(page)

        # Then the page says once what the API said and when to try again, and offers Retry
        shown = page.locator("[data-testid=view-error]").inner_text()
        assert body["error"]["message"] in shown
        assert "Try again in 30 s" in shown
        assert page.locator("#content canvas, [data-testid=series-table]").count() == 0
        shot(page, artifacts, "backend-down")

        # When the warehouse appears and the person retries
        shutil.copyfile(built_warehouse.warehouse_path, warehouse)
        page.locator("[data-testid=view-error]").get_by_role("button", name="Retry").click()

        # Then the numbers come back
        page.wait_for_selector("#chart-sessions [data-testid=series-table]")
        wait_until_settled(page)
        assert as_int(page.locator("[data-testid=total-sessions] dd").inner_text()) > 0


def test_presets_and_a_narrow_screen(browser, console, api, tenants, artifacts, axe_script):
    # Given a phone-sized window
    with open_page(browser, console, **PHONE) as page:
        sign_in(page, api, "reseller", view_hash(tenants))

        # Then nothing is wider than the screen, and the products and sessions tables fit it
        # without scrolling sideways (each row becomes a block of labelled lines)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert overflowing(page, ".table-scroll") == []
        for testid in ("products-table", "sessions-table"):
            width = page.get_by_test_id(testid).evaluate("t => t.getBoundingClientRect().right")
            assert width <= PHONE["width"], testid
        # (the numbers are the same as on a wide screen)
        assert_dashboard_matches_api(page, api, tenants, "reseller", tenants.reseller)
        assert_accessible(page, axe_script, "the dashboard on a phone")
        shot(page, artifacts, "narrow-reseller")

        # And an open session's requests fit too
        page.locator("a.session-link").first.click()
        page.wait_for_selector("[data-testid=requests-table]")
        assert overflowing(page, ".table-scroll") == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, artifacts, "narrow-session")

        # When the "Last 7 days" preset is chosen
        before = datetime.now(UTC).date()
        page.get_by_label("Period", exact=True).select_option("last7")
        page.wait_for_function("location.hash.includes('preset=last7')")
        wait_until_loaded(page)
        after = datetime.now(UTC).date()

        # Then the range is the 7 days up to today (UTC), shown in the date fields and the table
        shown_to = date.fromisoformat(page.locator("#to").input_value())
        assert shown_to in (before, after)
        assert page.locator("#from").input_value() == (shown_to - timedelta(days=6)).isoformat()
        # And the page shows what the API has for those 7 days: a row a day, or the empty state
        # (the simulated data ends on a fixed date, so "today" may be past it)
        series = api.get(
            "/v1/metrics/sessions",
            "reseller",
            grain="day",
            **{"from": page.locator("#from").input_value(), "to": shown_to.isoformat()},
            **tenants.reseller,
        )["series"]
        assert len(series) == 7
        if any(point["sessions"] for point in series):
            assert len(table_rows(page, "series-table")) == 7
        else:
            assert page.locator("#chart-sessions").get_attribute("data-state") == "empty"


@pytest.mark.parametrize("width", [1280, PHONE["width"]])
def test_a_long_product_name_stays_in_its_cell(browser, console, api, tenants, artifacts, width):
    # Given products whose first name is far longer than a cell (one word, then words)
    long_names = ["Ultra" + "x" * 70, "A very long product name " * 4]

    def lengthen(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        for product, name in zip(body["products"], long_names, strict=False):
            product["name"] = name
        route.fulfill(response=response, json=body)

    with open_page(browser, console, width=width) as page:
        page.route("**/v1/metrics/products?*", lengthen)

        # When a client opens the dashboard
        sign_in(page, api, "client", view_hash(tenants))

        # Then the names wrap inside the products table, which stays within its box
        rows = table_rows(page, "products-table")
        assert rows[0][0].startswith(long_names[0])
        assert overflowing(page, "#products .table-scroll, #products table") == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, artifacts, f"long-product-name-{width}")


def test_dates_are_typed_as_iso(page, api, tenants):
    # Given a client on the simulated range
    sign_in(page, api, "client", view_hash(tenants))

    # When a date is typed the way a US date field shows it
    page.locator("#from").fill("11/02/2026")
    page.locator("#from").press("Enter")

    # Then the page says how to write it, and the view does not change
    assert "write it as YYYY-MM-DD" in page.locator("#controls-error").inner_text()
    assert f"from={tenants.first_date}" in page.evaluate("location.hash")

    # When an ISO range is typed and applied with Enter
    page.locator("#from").fill(tenants.last_date)
    page.locator("#to").fill(tenants.last_date)
    page.locator("#to").press("Enter")

    # Then the view is that one day, with the API's numbers for it
    page.wait_for_function(f"location.hash.includes('from={tenants.last_date}')")
    wait_until_loaded(page)
    assert page.locator("#controls-error").inner_text() == ""
    day = api.get(
        "/v1/metrics/sessions",
        "client",
        grain="day",
        **{"from": tenants.last_date, "to": tenants.last_date},
        **tenants.client,
    )
    assert [as_int(r[1]) for r in table_rows(page, "series-table")] == [p["sessions"] for p in day["series"]]


def test_without_demo_tokens_the_page_requests_nothing_missing(
    page, built_warehouse, start_api, tokens_file, tenants, axe_script
):
    # Given the API served as `make serve` does, without --demo-tokens
    _, tokens = tokens_file
    asked: list[str] = []
    page.on("request", lambda request: asked.append(urllib.parse.urlsplit(request.url).path))
    with start_api(built_warehouse.warehouse_path, demo_tokens=False) as plain:
        assert plain.get_status("/v1/demo/tokens", None)[0] == 404

        # When the sign-in page opens
        page.goto(f"{plain.base}/{view_hash(tenants)}")
        page.wait_for_selector("#token")
        page.wait_for_load_state("networkidle")

        # Then it lists no demo tokens and never asked for them (no 404 in the console: the
        # page fixture fails the test on any console error)
        assert "/v1/demo/tokens" not in asked
        assert page.locator(".token-list").count() == 0
        assert_accessible(page, axe_script, "the sign-in page without demo tokens")

        # And a typed token still signs in
        page.get_by_label("Access token").fill(tokens["client"])
        page.get_by_role("button", name="Sign in", exact=True).click()
        wait_until_loaded(page)
        assert_dashboard_matches_api(page, plain, tenants, "client", tenants.client)
