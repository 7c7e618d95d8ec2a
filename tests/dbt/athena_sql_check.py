"""Does a SQL statement run on Athena engine v3 (Trino)? Syntax via sqlglot, functions via a list.

sqlglot parses Athena SQL and maps the functions it knows to its own expression classes, which
can hide the name that was written (DuckDB's `len(x)` parses as a length). So the names are
taken from the token stream as written: every bare word directly followed by `(` (other than a
`... as alias (columns)` list) is a function call and must be in ATHENA_V3_FUNCTIONS; the
parsed tree adds the names sqlglot does not know (exp.Anonymous). DuckDB-only syntax that
Trino lacks (`::` casts, QUALIFY, `{...}` struct literals, DuckDB type names) is rejected outright.
"""

from __future__ import annotations

import itertools

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

# Functions and function-like keywords of Athena engine v3 (Trino 3xx), checked against
# https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html and the Trino docs.
_FUNCTION_NAMES = """
    abs approx_distinct approx_percentile arbitrary array_agg array_distinct array_join array_max
    array_min array_position array_sort avg bool_and bool_or cardinality cast ceil ceiling char_length
    coalesce concat concat_ws contains count count_if current_date current_timestamp date date_add
    date_diff date_format date_parse date_trunc day day_of_week day_of_year dow doy element_at
    every exp filter first_value floor format format_datetime from_iso8601_date from_iso8601_timestamp
    from_iso8601_timestamp_nanos from_unixtime greatest grouping hour if is_nan lag last_value
    lead least length ln log10 lower lpad ltrim map max max_by md5 min min_by minute mod month
    now nullif parse_datetime position power rank regexp_extract regexp_like regexp_replace
    replace reverse round row_number rpad rtrim second sequence sha256 sign split split_part sqrt
    strpos substr substring sum to_hex to_iso8601 to_unixtime to_utf8 transform trim truncate
    try try_cast typeof upper url_extract_path week week_of_year with_timezone year year_of_week
    dense_rank ntile percent_rank cume_dist nth_value listagg array unnest row
"""
ATHENA_V3_FUNCTIONS = frozenset(_FUNCTION_NAMES.split())

# Words followed by "(" that are syntax, not calls (the tokenizer reports some as plain words).
SYNTAX_BEFORE_PAREN = frozenset({"values", "in", "exists", "over", "as", "using", "on", "and", "or", "not"})

FORBIDDEN_TOKENS = {
    TokenType.DCOLON: "'::' cast (DuckDB/Postgres only; use cast(x as type))",
    TokenType.QUALIFY: "QUALIFY (not in Trino)",
    TokenType.L_BRACE: "'{...}' struct literal (DuckDB only)",
    TokenType.TIMESTAMPTZ: "timestamptz type (Trino spells it timestamp with time zone)",
    TokenType.INT128: "hugeint type (DuckDB only)",
}


def called_functions(sql: str) -> set[str]:
    """Lower-case names of every function the statement calls, as written."""
    tokens = sqlglot.tokenize(sql, read="athena")
    names: set[str] = set()
    for index, (token, following) in enumerate(itertools.pairwise(tokens)):
        if following.token_type != TokenType.L_PAREN:
            continue
        if token.token_type in (TokenType.STRING, TokenType.IDENTIFIER, TokenType.R_PAREN, TokenType.NUMBER):
            continue
        if index > 0 and tokens[index - 1].token_type == TokenType.ALIAS:
            continue  # "... as line (a, b)": a column list, not a call
        if token.token_type.name in {"VAR", "FUNCTION"} or token.text.lower() in ATHENA_V3_FUNCTIONS:
            name = token.text.lower()
            if name not in SYNTAX_BEFORE_PAREN:
                names.add(name)
    for tree in sqlglot.parse(sql, read="athena"):
        if tree is not None:
            names.update(node.name.lower() for node in tree.find_all(exp.Anonymous))
    return names


def athena_problems(sql: str) -> list[str]:
    """Every reason the statement would not run on Athena engine v3; empty when it would."""
    try:
        sqlglot.parse(sql, read="athena", error_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as error:
        return [f"does not parse as Athena SQL: {error}"]
    problems = [
        reason
        for token in sqlglot.tokenize(sql, read="athena")
        if (reason := FORBIDDEN_TOKENS.get(token.token_type))
    ]
    problems += [
        f"function {name}() is not an Athena engine v3 function"
        for name in sorted(called_functions(sql) - ATHENA_V3_FUNCTIONS)
    ]
    return problems
