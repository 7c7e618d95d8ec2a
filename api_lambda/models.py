"""Response shapes, for the OpenAPI document (handlers return plain JSON of exactly these shapes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class ScopeOut(_Model):
    level: Literal["global", "client", "reseller", "user"]
    client_id: str | None = Field(None, description="Set from level client down.")
    reseller_id: str | None = Field(
        None, description="Set from level reseller down; unique within its client."
    )
    user_id: str | None = Field(None, description="Set at level user; unique within its reseller.")


class SeriesPoint(_Model):
    period_start: str = Field(description="Start of the period, UTC, `YYYY-MM-DDTHH:MM:SSZ`.")
    sessions: int = Field(description="Distinct sessions with at least one request in the period.")
    requests: int = Field(description="Distinct requests in the period.")
    requests_per_session: float = Field(description="requests / sessions, 4 decimals; 0 when no sessions.")


class SessionMetrics(_Model):
    grain: Literal["hour", "day", "week", "month"]
    from_: str = Field(alias="from", description="First day counted (widened to whole periods).")
    to: str = Field(description="Last day counted, inclusive (widened to whole periods).")
    scope: ScopeOut
    series: list[SeriesPoint] = Field(
        description="Dense: one point per period, zeros where nothing happened."
    )


class BreakdownRow(_Model):
    client_id: str
    reseller_id: str | None = Field(None, description="Present when by is reseller or user.")
    user_id: str | None = Field(None, description="Present when by is user.")
    sessions: int
    requests: int
    requests_per_session: float


class Breakdown(_Model):
    by: Literal["client", "reseller", "user"]
    from_: str = Field(alias="from")
    to: str
    scope: ScopeOut
    rows: list[BreakdownRow]


class ProductRow(_Model):
    product_id: str
    name: str
    category: str
    currency: str = Field(description="ISO 4217; figures are per product and currency.")
    requests: int = Field(description="Distinct requests that carried the product.")
    sessions: int = Field(description="Distinct sessions with such a request.")
    quantity: int
    revenue: float = Field(description="Sum of unit_price x quantity, in `currency`.")


class Products(_Model):
    from_: str = Field(alias="from")
    to: str
    scope: ScopeOut
    products: list[ProductRow] = Field(description="By requests, descending.")


class SessionRow(_Model):
    session_id: str
    client_id: str
    reseller_id: str
    user_id: str
    started_at: str = Field(description="UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.")
    ended_at: str
    requests: int


class SessionsPage(_Model):
    sessions: list[SessionRow] = Field(description="Newest first (started_at, then session_id, descending).")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class RequestProduct(_Model):
    product_id: str
    name: str
    category: str
    unit_price: float
    currency: str
    quantity: int


class SessionRequest(_Model):
    request_id: str
    occurred_at: str
    method: str
    path: str
    status: int
    duration_ms: int
    products: list[RequestProduct]


class SessionRequests(_Model):
    session_id: str
    requests: list[SessionRequest] = Field(description="In time order.")


class Health(_Model):
    status: Literal["ok"]
    backend: Literal["duckdb", "athena"]
