"""Synthetic app logs: `python -m ingest_lambda.simulate --out DIR --seed N --days N --sessions N`.

Writes `DIR/app-YYYY-MM-DD.log` per delivery day, each line a CloudWatch message as the app and the
Lambda runtime print them (bare JSON or behind the Lambda text prefix), and `DIR/manifest.json` with
the simulator's own count of what it wrote, for tests to check the pipeline against. The output is
deterministic for a seed: same arguments, same bytes.

What is in it: clients (one currency each) with resellers and users whose ids are reused under
different parents; sessions of several requests spread over minutes, some across UTC midnight, on a
daily (busy daytime) and weekly (quiet weekend) rhythm; product details on most requests; duplicate
deliveries (some the next day); late events (hours to three days); Lambda START/END/REPORT lines and
other app logs; and lines that must be quarantined, counted by the reason code the ingest gives them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import Any

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
_EPOCH = datetime(1970, 1, 1)
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode

CLIENT_NAMES = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka"]
CURRENCIES = ["GBP", "EUR", "USD"]
# "north-shop" is every client's first reseller, so the same reseller id lives under several clients.
RESELLER_NAMES = ["north-shop", "south-shop", "city-books", "east-market", "west-outlet", "harbour-store"]
SERVICES = ["storefront", "checkout", "catalog"]
CATEGORIES = ["kitchen", "books", "garden", "toys", "electronics", "clothing"]
ADJECTIVES = ["Blue", "Red", "Large", "Small", "Classic", "Deluxe", "Eco", "Travel"]
NOUNS = ["Mug", "Notebook", "Planter", "Robot", "Headphones", "Scarf", "Lamp", "Kettle", "Puzzle", "Jacket"]
# Relative traffic per UTC hour (quiet nights, busy days) and per weekday (Monday first).
HOURLY = [2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 13, 13, 14, 13, 12, 12, 11, 11, 10, 9, 8, 6, 4, 3]
WEEKLY = [1.0, 1.0, 1.0, 1.0, 0.95, 0.6, 0.5]
_HOURS = range(24)
_DELIVERED = itemgetter(0)
_HOURLY_CUMULATIVE = list(accumulate(HOURLY))
PATHS_WITH_PRODUCTS = ["/products/{p}", "/cart/items", "/checkout", "/wishlist/{p}"]
PATHS_WITHOUT = ["/", "/search", "/account", "/orders", "/help"]
OFFSETS = [(60, "+01:00"), (120, "+02:00"), (-300, "-05:00"), (330, "+05:30")]
INVALID_KINDS = [
    # (reason code the ingest gives, relative weight)
    ("invalid_json", 4),
    ("missing_field", 3),
    ("wrong_type", 3),
    ("invalid_id", 2),
    ("invalid_value", 2),
    ("naive_timestamp", 1),
    ("invalid_timestamp", 1),
    ("invalid_utf8", 1),
    ("too_old", 2),
    ("too_far_in_future", 2),
]

_CART_PATHS = (1, 2)  # indexes of "/cart/items" and "/checkout" in PATHS_WITH_PRODUCTS
P_PRODUCTS = 0.8
P_PREFIXED = 0.6
P_OFFSET = 0.15
P_LAMBDA_LINES = 0.3
P_OTHER_LOG = 0.05
P_DUPLICATE = 0.02
P_LATE = 0.01
P_INVALID = 0.01
P_MIDNIGHT = 0.02
MAX_LINE_BYTES = 262_144


# One request's random parts: occurred_at text, method, path, status, duration_ms and the products as
# (catalog index, quantity).
Draw = tuple[str, str, str, int, int, list[tuple[int, int]]]


@dataclass(frozen=True)
class Reseller:
    client_id: str
    reseller_id: str
    users: int
    currency: str
    service: str


_DAY_PREFIX: dict[int, str] = {}
_CLOCK = [f"{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60)]
_MILLIS = [f"{ms:03d}Z" for ms in range(1000)]


def ms_text(ms: int) -> str:
    """Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (table lookups: this runs millions of times)."""
    day, rest = divmod(ms, DAY_MS)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")
    seconds, milli = divmod(rest, 1000)
    return f"{prefix}{_CLOCK[seconds]}{_MILLIS[milli]}"


class Simulator:
    def _below(self, n: int) -> int:
        """A uniform integer in [0, n): random() is several times cheaper than randrange()."""
        return int(self._random() * n)

    def _between(self, low: int, high: int) -> int:
        """A uniform integer in [low, high]."""
        return low + int(self._random() * (high - low + 1))

    def __init__(self, seed: int, days: int, sessions: int, clients: int, end_date: date) -> None:
        import random

        self.rng = random.Random(seed)
        self._random = self.rng.random
        self.seed = seed
        self.days = days
        self.sessions = sessions
        self.end_date = end_date
        self.start_date = end_date - timedelta(days=days - 1)
        self.start_ms = (
            int((datetime.combine(self.start_date, datetime.min.time()) - _EPOCH).total_seconds()) * 1000
        )
        self.end_ms = self.start_ms + days * DAY_MS
        # One more than the delivery days: a session may run past midnight into the next day.
        self.day_names = [(self.start_date + timedelta(days=d)).isoformat() for d in range(days + 1)]
        self.resellers = self._tenants(clients)
        # Cumulative weights, as random.choices would build them on every call (same draws).
        self.client_weights = list(accumulate(1.0 / (i + 1) for i in range(len(self.resellers))))
        self.catalog = self._catalog()
        # Text fragments of the valid event's JSON, rendered once (see `_event_text`): each catalog
        # item as a product in each currency, up to its quantity, and each product path per item.
        self.product_json = {
            (i, currency): _encode(self._product(item, currency, 0))[: -len("0}")]
            for i, item in enumerate(self.catalog)
            for currency in CURRENCIES
        }
        self.product_paths = [
            [template.format(p=item[0][2:]) for item in self.catalog] for template in PATHS_WITH_PRODUCTS
        ]
        # Per delivery day, (milliseconds into the day, line) in the order the lines were made; a
        # stable sort on the time keeps that order between lines delivered in the same millisecond.
        self.buckets: list[list[tuple[int, bytes]]] = [[] for _ in range(days)]
        self.request_seq = 0
        self.bad_seq = 0
        self.counts: Counter[str] = Counter()
        self.invalid: Counter[str] = Counter()
        self.by_client: Counter[str] = Counter()
        self.requests_by_day = [0] * (days + 1)  # by event day (a session may pass midnight)
        self.sessions_by_day: Counter[str] = Counter()

    # ------------------------------------------------------------------ world
    def _tenants(self, clients: int) -> list[list[Reseller]]:
        world = []
        for i in range(clients):
            client_id = CLIENT_NAMES[i] if i < len(CLIENT_NAMES) else f"client-{i + 1}"
            others = RESELLER_NAMES[1:]
            count = 2 + i % 3
            names = ["north-shop"] + [others[(i * 2 + k) % len(others)] for k in range(count)]
            world.append(
                [
                    Reseller(client_id, name, self._between(15, 60), CURRENCIES[i % 3], SERVICES[i % 3])
                    for name in names
                ]
            )
        return world

    def _catalog(self) -> list[tuple[str, str, str, float]]:
        rng = self.rng
        items = []
        for n in range(1, 41):
            name = f"{ADJECTIVES[n % len(ADJECTIVES)]} {NOUNS[(n * 7) % len(NOUNS)]}"
            items.append((f"p-{n}", name, CATEGORIES[n % len(CATEGORIES)], round(rng.uniform(2, 250), 2)))
        return items

    # ------------------------------------------------------------------ output helpers
    def _put(self, deliver_ms: int, line: bytes) -> None:
        day, offset = divmod(deliver_ms - self.start_ms, DAY_MS)
        self.buckets[day].append((offset, line))

    def _uuid(self) -> str:
        h = hex(self.rng.getrandbits(128))[2:].zfill(32)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _line(self, ts_ms: int, obj: dict[str, Any], prefixed: bool, lambda_id: str) -> str:
        """The line the app prints for `obj`, behind the Lambda text prefix or bare."""
        body = _encode(obj)
        if prefixed:
            return f"{ms_text(ts_ms)}\t{lambda_id}\tINFO\t{body}"
        return body

    def _occurred_text(self, ms: int, utc_text: str) -> str:
        """`occurred_at` for the instant `ms` (`utc_text` in UTC): mostly UTC, sometimes at an offset."""
        if self._random() < P_OFFSET:
            minutes, suffix = OFFSETS[self._below(len(OFFSETS))]
            local = _EPOCH + timedelta(milliseconds=ms + minutes * 60_000)
            return local.isoformat(timespec="milliseconds") + suffix
        return utc_text

    @staticmethod
    def _product(item: tuple[str, str, str, float], currency: str, quantity: int) -> dict[str, Any]:
        return {
            "product_id": item[0],
            "name": item[1],
            "category": item[2],
            "unit_price": item[3],
            "currency": currency,
            "quantity": quantity,
        }

    def _draw(self, ms: int, utc_text: str) -> Draw:
        """The random parts of one request, drawn in a fixed order (a seed's output depends on it)."""
        random = self._random
        occurred = self._occurred_text(ms, utc_text)
        n = len(self.catalog)
        if random() < P_PRODUCTS:
            item = int(random() * n)
            template = int(random() * len(PATHS_WITH_PRODUCTS))
            path = self.product_paths[template][item]
            products = [(item, 1 + int(random() * 3))]
            if template in _CART_PATHS:
                for _ in range(int(random() * 3)):
                    products.append((int(random() * n), 1 + int(random() * 4)))
            method = "POST" if template in _CART_PATHS else "GET"
        else:
            path = PATHS_WITHOUT[int(random() * len(PATHS_WITHOUT))]
            products = []
            method = "GET"
        roll = random()
        status = 200 if roll < 0.93 else (404 if roll < 0.97 else (500 if roll < 0.99 else 302))
        return occurred, method, path, status, int(self.rng.expovariate(1 / 60)), products

    def _event(self, r: Reseller, session_id: str, user_id: str, ms: int, request_id: str) -> dict[str, Any]:
        """One request's log object (for the lines that are made invalid from it)."""
        at = ms_text(ms)
        occurred, method, path, status, duration, products = self._draw(ms, at)
        analytics = {
            "schema_version": 1,
            "request_id": request_id,
            "session_id": session_id,
            "client_id": r.client_id,
            "reseller_id": r.reseller_id,
            "user_id": user_id,
            "occurred_at": occurred,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration,
            "products": [self._product(self.catalog[i], r.currency, q) for i, q in products],
        }
        return {
            "level": "INFO",
            "message": "analytics.request",
            "timestamp": at,
            "service": r.service,
            "analytics": analytics,
        }

    def _event_text(self, r: Reseller, ids: str, ms_at: str, request_id: str, draw: Draw) -> str:
        """`_encode(self._event(...))` for the same draw, rendered from fragments: every value here
        is ASCII that JSON does not escape (tests/ingest checks the two agree)."""
        occurred, method, path, status, duration, products = draw
        product_json = self.product_json
        currency = r.currency
        items = ",".join([f"{product_json[i, currency]}{q}}}" for i, q in products])
        return (
            f'{{"level":"INFO","message":"analytics.request","timestamp":"{ms_at}","service":"{r.service}",'
            f'"analytics":{{"schema_version":1,"request_id":"{request_id}",{ids},"occurred_at":"{occurred}",'
            f'"method":"{method}","path":"{path}","status":{status},"duration_ms":{duration},'
            f'"products":[{items}]}}}}'
        )

    # ------------------------------------------------------------------ traffic
    def _session_start(self, day: int) -> tuple[int, bool]:
        """(start, whether the session is one of those made to run across UTC midnight)."""
        rng = self.rng
        base = self.start_ms + day * DAY_MS
        if rng.random() < P_MIDNIGHT:
            return base + DAY_MS - self._between(20_000, 4 * 60_000), True
        hour = rng.choices(_HOURS, cum_weights=_HOURLY_CUMULATIVE)[0]
        return base + hour * HOUR_MS + self._below(HOUR_MS), False

    def _lambda_lines(self, ts_ms: int, deliver_ms: int, lambda_id: str, duration: int) -> None:
        self._put(deliver_ms - 1, f"START RequestId: {lambda_id} Version: $LATEST".encode())
        self._put(deliver_ms + duration, f"END RequestId: {lambda_id}".encode())
        report = (  # the duration is whole milliseconds: "{duration}.37" is "{duration + 0.37:.2f}"
            f"REPORT RequestId: {lambda_id}\tDuration: {duration}.37 ms\tBilled Duration: "
            f"{duration + 1} ms\tMemory Size: 256 MB\tMax Memory Used: {70 + duration % 30} MB"
        )
        self._put(deliver_ms + duration + 1, report.encode())
        self.counts["noise_lines"] += 3

    def _other_log(self, ts_ms: int, deliver_ms: int, r: Reseller, lambda_id: str) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.5:
            obj = {
                "level": "INFO",
                "message": "cart.updated",
                "timestamp": ms_text(ts_ms),
                "service": r.service,
                "items": self._between(1, 5),
            }
            line = _encode(obj)
        elif roll < 0.9:
            took = self._between(300, 2000)
            line = f"{ms_text(ts_ms)}\t{lambda_id}\tWARN\tslow downstream call: inventory took {took} ms"
        else:
            # Mentions the marker but is another message: the ingest must skip it, not quarantine it.
            obj = {
                "level": "DEBUG",
                "message": "analytics.flush",
                "detail": "flushed analytics.request buffer",
            }
            line = _encode(obj)
        self._put(deliver_ms + 3, line.encode())
        self.counts["noise_lines"] += 1

    def _session(self, n: int, day: int) -> None:
        rng = self.rng
        random = self._random
        client = rng.choices(self.resellers, cum_weights=self.client_weights)[0]
        r = client[self._below(len(client))]
        user_id = f"u-{min(self._between(1, r.users), self._between(1, r.users))}"
        session_id = f"s{self.seed}-{n:07d}-{rng.getrandbits(24):06x}"
        ids = (
            f'"session_id":"{session_id}","client_id":"{r.client_id}","reseller_id":"{r.reseller_id}",'
            f'"user_id":"{user_id}"'
        )
        t, at_midnight = self._session_start(day)
        requests = 1 + min(29, int(rng.expovariate(1 / 4)))
        if at_midnight:
            requests = max(requests, 6)
        end_ms, start_ms, seed = self.end_ms, self.start_ms, self.seed
        buckets, counts, requests_by_day = self.buckets, self.counts, self.requests_by_day
        getrandbits = rng.getrandbits
        request_seq = self.request_seq
        days_seen: set[int] = set()
        sent = 0
        for _ in range(requests):
            deliver = t + 40 + int(random() * 1961)
            if deliver >= end_ms:
                break
            request_seq += 1
            # zfill rather than format specs ({:09d}, {:032x}): same text, a fraction of the cost.
            request_id = f"r{seed}-{str(request_seq).zfill(9)}-{hex(getrandbits(32))[2:].zfill(8)}"
            at = ms_text(t)
            draw = self._draw(t, at)
            lambda_id = self._uuid()
            body = self._event_text(r, ids, at, request_id, draw)
            line = (f"{at}\t{lambda_id}\tINFO\t{body}" if random() < P_PREFIXED else body).encode()
            if random() < P_LATE:
                latest = min(end_ms - 1, t + 72 * HOUR_MS)
                if latest > t + 2 * HOUR_MS:
                    deliver = self._between(t + 2 * HOUR_MS, latest)
                    counts["late_events"] += 1
            day, offset = divmod(deliver - start_ms, DAY_MS)
            buckets[day].append((offset, line))
            if random() < P_DUPLICATE:
                again = deliver + (DAY_MS if random() < 0.5 else self._between(1000, 600_000))
                if again >= end_ms:
                    again = deliver + 1
                day, offset = divmod(again - start_ms, DAY_MS)
                buckets[day].append((offset, line))
                counts["duplicate_deliveries"] += 1
                counts["valid_lines"] += 1
            if random() < P_LAMBDA_LINES:
                self._lambda_lines(t, deliver, lambda_id, draw[4])
            if random() < P_OTHER_LOG:
                self._other_log(t, deliver, r, lambda_id)
            if random() < P_INVALID:
                self._invalid(deliver, r, session_id, user_id, t)
            sent += 1
            event_day = (t - start_ms) // DAY_MS
            requests_by_day[event_day] += 1
            days_seen.add(event_day)
            t += 3_000 + int(random() * 147_001)
        self.request_seq = request_seq
        counts["valid_lines"] += sent
        counts["valid_request_ids"] += sent
        self.by_client[r.client_id] += sent
        if days_seen:
            counts["sessions"] += 1
            for d in days_seen:
                self.sessions_by_day[self.day_names[d]] += 1

    # ------------------------------------------------------------------ lines to quarantine
    def _invalid(self, deliver: int, r: Reseller, session_id: str, user_id: str, t: int) -> None:
        rng = self.rng
        kind = rng.choices([k for k, _ in INVALID_KINDS], [w for _, w in INVALID_KINDS])[0]
        self.bad_seq += 1
        request_id = f"bad{self.seed}-{self.bad_seq:07d}"
        day_start = self.start_ms + ((deliver - self.start_ms) // DAY_MS) * DAY_MS
        occurred = t
        if kind == "too_old":
            occurred = day_start - self._between(15 * DAY_MS, 20 * DAY_MS)
        elif kind == "too_far_in_future":
            occurred = day_start + DAY_MS + self._between(2 * HOUR_MS, 48 * HOUR_MS)
        event = self._event(r, session_id, user_id, occurred, request_id)
        a = event["analytics"]
        line_bytes: bytes | None = None
        if kind == "invalid_json":
            text = self._line(t, event, rng.random() < 0.5, self._uuid())
            line_bytes = text[
                : max(text.index("analytics.request") + 20, len(text) - self._between(5, 60))
            ].encode()
        elif kind == "missing_field":
            del a[rng.choice(["request_id", "session_id", "client_id", "user_id", "occurred_at", "status"])]
        elif kind == "wrong_type":
            field, value = rng.choice([("status", "200"), ("duration_ms", 12.5), ("products", {"p": 1})])
            a[field] = value
        elif kind == "invalid_id":
            field = rng.choice(["user_id", "reseller_id", "session_id"])
            a[field] = rng.choice(["bad id", "x" * 200, "", "tab\there", "ctl\x07char"])
        elif kind == "invalid_value":
            field, value = rng.choice([("status", 700), ("duration_ms", -5), ("path", "/bell\x07")])
            a[field] = value
        elif kind == "naive_timestamp":
            a["occurred_at"] = a["occurred_at"][:19]
        elif kind == "invalid_timestamp":
            a["occurred_at"] = rng.choice(
                [a["occurred_at"][:19] + "+25:00", "yesterday", "2026-13-45T00:00:00Z"]
            )
        elif kind == "invalid_utf8":
            line_bytes = self._line(t, event, False, "").encode().replace(b'"path":"', b'"path":"\xff\xfe', 1)
        if line_bytes is None:
            line_bytes = self._line(t, event, rng.random() < 0.5, self._uuid()).encode()
        self._put(deliver + 5, line_bytes)
        self.invalid[kind] += 1

    def _huge_line(self, day: int) -> None:
        """One analytics line over the size bound, whatever else it says."""
        deliver = self.start_ms + day * DAY_MS + 12 * HOUR_MS
        r = self.resellers[0][0]
        event = self._event(r, f"s{self.seed}-huge", "u-1", deliver - 1000, f"huge{self.seed}-{day}")
        event["analytics"]["path"] = "/search?q=" + "x" * MAX_LINE_BYTES
        self._put(deliver, _encode(event).encode())
        self.invalid["line_too_large"] += 1

    # ------------------------------------------------------------------ driver
    def run(self, out: Path, progress: bool = True) -> dict[str, Any]:
        rng = self.rng
        weights = [WEEKLY[(self.start_date + timedelta(days=d)).weekday()] for d in range(self.days)]
        per_day = Counter(rng.choices(range(self.days), weights, k=self.sessions))
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob("app-*.log"):
            stale.unlink()
        n = 0
        started = time.perf_counter()
        # Lines of each delivery day's file per UTC hour of delivery (the file is in delivery
        # order): a reader can split a day's file into the hours an hourly ingest would land.
        lines_by_hour: dict[str, list[int]] = {}
        for day in range(self.days):
            for _ in range(per_day.get(day, 0)):
                n += 1
                self._session(n, day)
            if day == self.days // 2:
                self._huge_line(day)
            bucket = self.buckets[day]
            bucket.sort(key=_DELIVERED)
            hours = [0] * 24
            for offset, _ in bucket:
                hours[offset // HOUR_MS] += 1
            lines_by_hour[(self.start_date + timedelta(days=day)).isoformat()] = hours
            name = out / f"app-{self.start_date + timedelta(days=day)}.log"
            with name.open("wb") as f:
                f.write(b"\n".join([line for _, line in bucket]) + b"\n" if bucket else b"")
            self.buckets[day] = []
            if progress and (day % 10 == 9 or day == self.days - 1):
                print(
                    f"simulate: {day + 1}/{self.days} days, {n} sessions, "
                    f"{self.counts['valid_request_ids']} requests ({time.perf_counter() - started:.1f}s)",
                    file=sys.stderr,
                )
        invalid_total = sum(self.invalid.values())
        manifest = {
            "seed": self.seed,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "days": self.days,
            "clients": len(self.resellers),
            "sessions": self.counts["sessions"],
            "valid_request_ids": self.counts["valid_request_ids"],
            "valid_lines": self.counts["valid_lines"],
            "duplicate_deliveries": self.counts["duplicate_deliveries"],
            "late_events": self.counts["late_events"],
            "noise_lines": self.counts["noise_lines"],
            "invalid_lines": invalid_total,
            "invalid_lines_by_kind": dict(sorted(self.invalid.items())),
            "total_lines": self.counts["valid_lines"] + self.counts["noise_lines"] + invalid_total,
            "requests_by_client": dict(sorted(self.by_client.items())),
            "requests_by_day": {self.day_names[d]: n for d, n in enumerate(self.requests_by_day) if n},
            "sessions_by_day": dict(sorted(self.sessions_by_day.items())),
            "lines_by_delivery_hour": lines_by_hour,
            "tenants": {
                client[0].client_id: {
                    "currency": client[0].currency,
                    "resellers": {r.reseller_id: r.users for r in client},
                }
                for client in self.resellers
            },
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return manifest


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ingest_lambda.simulate",
        description="Write realistic, deterministic app log files (one per UTC delivery day) and a manifest.",
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="output directory (its app-*.log are replaced)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--days", type=int, default=30, help="number of delivery days (default 30)")
    parser.add_argument("--sessions", type=int, default=6000, help="sessions over the whole period")
    parser.add_argument("--clients", type=int, default=3, help="number of clients (tenants)")
    parser.add_argument(
        "--end-date", type=date.fromisoformat, help="last delivery day, YYYY-MM-DD (default: today, UTC)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be >= 1")
    if args.sessions < 0:
        parser.error("--sessions must be >= 0")
    if args.clients < 1:
        parser.error("--clients must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    end_date = args.end_date or datetime.now(UTC).date()
    sim = Simulator(args.seed, args.days, args.sessions, args.clients, end_date)
    manifest = sim.run(args.out, progress=not args.quiet)
    summary = {
        k: manifest[k] for k in ("start_date", "end_date", "sessions", "valid_request_ids", "total_lines")
    }
    print(json.dumps({"out": str(args.out), **summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
