"""Write one demo token per level to a tokens file, from the warehouse's real tenants, and print them.

`python -m api_lambda.tokens --warehouse data/warehouse.duckdb --out data/tokens.json`
picks the busiest client, its busiest reseller and that reseller's busiest user.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

_TOP_SQL = """
SELECT {columns}, COUNT(*) AS sessions
FROM marts.fct_sessions
WHERE {where}
GROUP BY {columns}
ORDER BY sessions DESC, {columns}
LIMIT 1
"""


def demo_principals(warehouse: Path) -> list[dict[str, Any]]:
    import duckdb

    principals: list[dict[str, Any]] = [{"level": "global"}]
    path: dict[str, str] = {}
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        for level, key in (("client", "client_id"), ("reseller", "reseller_id"), ("user", "user_id")):
            columns = ", ".join([*path, key])
            where = " AND ".join(f"{column} = ?" for column in path) or "TRUE"
            row = conn.execute(_TOP_SQL.format(columns=columns, where=where), list(path.values())).fetchone()
            if row is None:
                raise SystemExit(f"no sessions in {warehouse}: build the warehouse first (make build)")
            path[key] = row[len(path)]
            principals.append({"level": level, **path})
    return principals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api_lambda.tokens", description=__doc__)
    parser.add_argument(
        "--warehouse", type=Path, default=Path(os.environ.get("WAREHOUSE_PATH", "data/warehouse.duckdb"))
    )
    parser.add_argument(
        "--out", type=Path, default=Path(os.environ.get("API_TOKENS_FILE", "data/tokens.json"))
    )
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        parser.error(f"{args.warehouse} does not exist: build the warehouse first (make build)")
    tokens = {f"demo-{p['level']}-{secrets.token_hex(8)}": p for p in demo_principals(args.warehouse)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(tokens, indent=2) + "\n")
    print(f"==> wrote {len(tokens)} demo tokens to {args.out}", file=sys.stderr)
    for token, principal in tokens.items():
        print(f"{principal['level']:<9} {token}  {json.dumps(principal)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
