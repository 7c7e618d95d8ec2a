"""Request parameters: one declaration per parameter serves both validation and the OpenAPI document.

A `Param` parses the raw text a client sent (or None when absent) into a Python value, or raises
a 400 `ApiError` that names the parameter. Its `openapi()` is the same rule written as an OpenAPI
parameter object, so what the document promises is exactly what the parser enforces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from api_lambda.errors import bad_request

Location = Literal["query", "path"]


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    kind: Literal["string", "integer"] = "string"
    where: Location = "query"
    required: bool = False
    default: str | int | None = None
    pattern: str | None = None
    max_length: int | None = None
    choices: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    example: str | None = None
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.pattern is not None:
            object.__setattr__(self, "_regex", re.compile(self.pattern))

    def parse(self, raw: str | None) -> Any:
        """The value of this parameter in a request, or its default; 400 naming it when invalid."""
        if raw is None:
            if self.required:
                raise bad_request(f"{self.name} is required", field=self.name)
            return self.default
        if self.kind == "integer":
            return self._integer(raw)
        if self.max_length is not None and len(raw) > self.max_length:
            raise bad_request(f"{self.name} is longer than {self.max_length} characters", field=self.name)
        if self.choices is not None and raw not in self.choices:
            raise bad_request(f"{self.name} must be one of {', '.join(self.choices)}", field=self.name)
        if self._regex is not None and self._regex.fullmatch(raw) is None:
            raise bad_request(f"{self.name} must match {self.pattern}", field=self.name)
        return raw

    def _integer(self, raw: str) -> int:
        # int() would also take " 7", "+7", "7_000" and non-ASCII digits; the document says digits.
        if not (raw.isascii() and (raw.isdigit() or (raw[:1] == "-" and raw[1:].isdigit()))) or len(raw) > 12:
            raise bad_request(f"{self.name} must be an integer", field=self.name)
        value = int(raw)
        if self.minimum is not None and value < self.minimum:
            raise bad_request(f"{self.name} must be at least {self.minimum}", field=self.name)
        if self.maximum is not None and value > self.maximum:
            raise bad_request(f"{self.name} must be at most {self.maximum}", field=self.name)
        return value

    def openapi(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.kind}
        for key, value in (
            ("pattern", self.pattern),
            ("maxLength", self.max_length),
            ("enum", list(self.choices) if self.choices else None),
            ("minimum", self.minimum),
            ("maximum", self.maximum),
            ("default", self.default),
        ):
            if value is not None:
                schema[key] = value
        document: dict[str, Any] = {
            "name": self.name,
            "in": self.where,
            "required": self.required or self.where == "path",
            "description": self.description,
            "schema": schema,
        }
        if self.example is not None:
            document["example"] = self.example
        return document


def parse_all(params: tuple[Param, ...], query: Mapping[str, str], path: Mapping[str, str]) -> dict[str, Any]:
    """Every declared parameter's value, checked in declaration order (the first bad one is named)."""
    return {p.name: p.parse((path if p.where == "path" else query).get(p.name)) for p in params}
