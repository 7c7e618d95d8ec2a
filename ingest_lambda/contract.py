"""Contract 1's rules for a valid event, written once.

The reference validator (validate.py), the fast path's regex (canonical.py), the docs
(docs/contracts.md section 1, checked against this module by tests/ingest/test_bounds.py) and the
property tests all read these constants. An analytics line outside any of them is quarantined with
a reason; nothing outside them ever lands, so nothing outside them can reach the warehouse, whose
types (bigint, decimal(18,4)) hold every value allowed here with room to spare.
"""

from __future__ import annotations

from decimal import Decimal

SUPPORTED_SCHEMA_VERSIONS = frozenset({1})

# Ids (request, session, client, reseller, user, product): the syntax the API also checks.
ID_PATTERN = r"[A-Za-z0-9._:@-]{1,128}"
MAX_ID_CHARS = 128

# Free text: path, product name and category, service (all printable, non-empty but service).
MAX_PATH_CHARS = 2048
MAX_TEXT_CHARS = 512

# Method: any RFC 9110 token (section 5.6.2: `1*tchar`), upper-cased on landing. Not a fixed list:
# WebDAV's PROPFIND, a CDN's PURGE or SSDP's M-SEARCH are real requests and must be counted.
# 32 characters hold every method in IANA's registry (the longest, UPDATEREDIRECTREF, has 17).
METHOD_TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MAX_METHOD_CHARS = 32
# The methods RFC 9110 defines; others land, and a warn-level dbt test reports them.
STANDARD_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")

MIN_STATUS = 100
MAX_STATUS = 599

# Integers are business limits well inside bigint (2**63 - 1), inclusive.
MAX_DURATION_MS = 86_400_000  # one day: a request that took longer is a clock or logging bug
MAX_QUANTITY = 1_000_000  # units on one product line

# A price is >= 0, below MAX_UNIT_PRICE, with at most PRICE_DECIMALS decimals, so that it is
# exactly a decimal(18,4). A line's revenue (unit_price x quantity) must be below
# MAX_LINE_REVENUE, the first value decimal(18,4) cannot hold (14 integer digits): each line
# fits, and sums of lines are taken as decimal(38,4) in the warehouse.
MAX_UNIT_PRICE = 1_000_000_000
PRICE_DECIMALS = 4
MAX_LINE_REVENUE = Decimal(10) ** 14

# ISO 4217 alphabetic codes: list one as of 2025 (Debian's iso-codes 4.15, plus ZWG of 2024 and
# XCG of 2025), with the codes withdrawn since 2021 (CUC, HRK, SLL, ZWL, ANG) kept, since a late
# event or a cached price may still carry them. XTS (reserved for testing) and XXX (no currency)
# are refused: a product line's price is in a currency.
CURRENCIES = frozenset(
    {
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
        "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
        "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF",
        "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD",
        "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK",
        "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP",
        "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
        "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
        "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG",
        "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS",
        "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW",
        "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD",
        "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
    }
)  # fmt: skip


def line_revenue_fits(unit_price: int | float, quantity: int) -> bool:
    """Whether unit_price x quantity (a price already known to have at most 4 decimals) is below
    MAX_LINE_REVENUE, computed exactly: the price's shortest repr is its decimal value."""
    return Decimal(repr(unit_price)) * quantity < MAX_LINE_REVENUE
