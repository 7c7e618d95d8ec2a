"""Contract 1's bounds (ingest_lambda/contract.py): each one lands a value on its inside and
quarantines one just outside with the documented reason, and docs/contracts.md states the same
numbers as the code."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from ingest_lambda import contract
from ingest_lambda.parse import LAND, QUARANTINE, parse_message
from tests.ingest.test_canonical import BASE

DOCS = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"
OLDEST, NEWEST = datetime(2026, 11, 6, 12, 0), datetime(2026, 11, 20, 13, 0)
PRODUCT = '"unit_price":12.5,"currency":"GBP","quantity":2'


def outcome(message: str) -> tuple[int, str]:
    return parse_message(message, OLDEST, NEWEST, 1_000_000)


def line_with(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


def product(price: str, quantity: int, currency: str = "GBP") -> str:
    return line_with(PRODUCT, f'"unit_price":{price},"currency":"{currency}","quantity":{quantity}')


C = contract
# (a line just inside a bound, the same just outside, the reason of the one outside)
BOUNDS = {
    "duration": (
        line_with('"duration_ms":42', f'"duration_ms":{C.MAX_DURATION_MS}'),
        line_with('"duration_ms":42', f'"duration_ms":{C.MAX_DURATION_MS + 1}'),
        "invalid_value:duration_ms",
    ),
    "duration beyond bigint": (
        line_with('"duration_ms":42', '"duration_ms":0'),
        line_with('"duration_ms":42', f'"duration_ms":{2**64}'),
        "invalid_value:duration_ms",
    ),
    "quantity": (
        product("1", C.MAX_QUANTITY),
        product("1", C.MAX_QUANTITY + 1),
        "invalid_value:products.quantity",
    ),
    "price": (
        product(f"{C.MAX_UNIT_PRICE - 1}.9999", 1),
        product(str(C.MAX_UNIT_PRICE), 1),
        "invalid_value:products.unit_price",
    ),
    "price decimals": (product("0.0001", 1), product("0.00001", 1), "invalid_value:products.unit_price"),
    "revenue": (
        product("100000000", C.MAX_LINE_REVENUE // 100000000 - 1),
        product("100000000", C.MAX_LINE_REVENUE // 100000000),
        "invalid_value:products.revenue",
    ),
    "revenue to the last decimal": (
        # 99999999.9999 x 1000000 = 99999999999999.99 - 0.99: inside; a 4-decimal price just above
        # 1e14 / 1000000 = 1e8 is outside.
        product("99999999.9999", C.MAX_QUANTITY),
        product("100000000.0001", C.MAX_QUANTITY),
        "invalid_value:products.revenue",
    ),
    "status": (
        line_with('"status":201', f'"status":{C.MAX_STATUS}'),
        line_with('"status":201', f'"status":{C.MAX_STATUS + 1}'),
        "invalid_value:status",
    ),
    "method length": (
        line_with('"POST"', f'"{"A" * C.MAX_METHOD_CHARS}"'),
        line_with('"POST"', f'"{"A" * (C.MAX_METHOD_CHARS + 1)}"'),
        "invalid_value:method",
    ),
    "method token": (
        line_with('"POST"', '"M-SEARCH"'),
        line_with('"POST"', '"GET /"'),
        "invalid_value:method",
    ),
    "currency": (product("1", 1, "CHW"), product("1", 1, "XXY"), "invalid_value:products.currency"),
    "no currency": (product("1", 1, "ZWG"), product("1", 1, "XXX"), "invalid_value:products.currency"),
}


@pytest.mark.parametrize("bound", BOUNDS)
def test_each_bound_lands_its_inside_and_quarantines_its_outside_with_a_reason(bound: str) -> None:
    # Given a line just inside a bound of the contract and the same line just outside it
    inside, outside, reason = BOUNDS[bound]

    # When the reference path judges them, Then the first lands and the second is quarantined
    assert outcome(inside)[0] == LAND
    assert outcome(outside) == (QUARANTINE, reason)


def test_a_method_lands_upper_cased_and_any_token_is_a_method() -> None:
    # Given a lower-case method outside RFC 9110's list
    kind, record = outcome(line_with('"POST"', '"purge"'))

    # Then it lands, upper-cased
    assert kind == LAND
    assert '"method":"PURGE"' in record


def test_the_docs_state_the_bounds_of_the_code() -> None:
    # Given docs/contracts.md's table of bounds
    text = DOCS.read_text()
    stated = dict(re.findall(r"`([A-Z_]+)` = (\d+)", text))

    # Then every bound of contract.py is stated, with its value
    for name in (
        "MAX_ID_CHARS", "MAX_PATH_CHARS", "MAX_TEXT_CHARS", "MAX_METHOD_CHARS", "MIN_STATUS", "MAX_STATUS",
        "MAX_DURATION_MS", "MAX_QUANTITY", "MAX_UNIT_PRICE", "PRICE_DECIMALS", "MAX_LINE_REVENUE",
    ):  # fmt: skip
        assert int(stated[name]) == getattr(contract, name), name
    versions = {int(v) for v in stated["SUPPORTED_SCHEMA_VERSIONS"].split(",")}
    assert versions == contract.SUPPORTED_SCHEMA_VERSIONS
    # And the currency exceptions it names are as the code has them
    assert {"CUC", "HRK", "SLL", "ZWL", "ANG"} <= contract.CURRENCIES
    assert not {"XTS", "XXX"} & contract.CURRENCIES


def test_the_currency_list_is_iso_4217() -> None:
    # Given the system's copy of ISO 4217 when it has one (Debian's iso-codes), else none
    iso = Path("/usr/share/iso-codes/json/iso_4217.json")
    if not iso.exists():
        pytest.skip("no iso-codes package on this machine")
    codes = {c["alpha_3"] for c in json.loads(iso.read_text())["4217"]}

    # Then every code of ours is in it, but those added since that package was made or withdrawn
    # (a newer package may drop them), and ours has all of it but the two refused on purpose
    assert contract.CURRENCIES - codes <= {"ZWG", "XCG", "CUC", "HRK", "SLL", "ZWL", "ANG", "BGN"}
    assert codes - contract.CURRENCIES <= {"XTS", "XXX"}


def test_the_dbt_warning_on_methods_lists_rfc_9110s_methods() -> None:
    # Given staging's warn-level test of methods (any token lands; it reports the others)
    models = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "staging" / "lake"
    text = (models / "_lake__models.yml").read_text()
    method_test = r"- name: method\n(?:.*\n)*?\s+values: \[([^\]]*)\]\n\s+config: \{severity: warn\}"
    listed = re.search(method_test, text)

    # Then it is a warning, over exactly the methods the contract calls standard
    assert listed is not None
    assert tuple(v.strip() for v in listed.group(1).split(",")) == contract.STANDARD_METHODS
