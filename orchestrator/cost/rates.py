"""The per-SKU rate table with effective dates: shipped as data (``rates.json``), overridable.

A rate applies from its table's ``effective_from`` date until the next table's; a job is priced
by the table in force on the day it ran. A user's file has the same shape and replaces the
shipped one (``--rates FILE``), so a negotiated price or a new price list needs no release.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from ..errors import ValidationError

__all__ = ["RateTable", "SELF_HOSTED"]

SELF_HOSTED = "self-hosted"


@dataclass(frozen=True)
class RateTable:
    """Rates per SKU (USD per minute) by effective date, and the self-hosted platform charge."""

    starts: tuple[date, ...]
    rates: tuple[Mapping[str, float], ...]
    self_hosted_per_minute: float
    source: str

    @classmethod
    def load(cls, path: str | Path | None = None) -> "RateTable":
        """The shipped table, or the user's file at ``path``; a bad file is refused by name."""
        if path is None:
            text = (resources.files("orchestrator") / "cost" / "rates.json").read_text(encoding="utf-8")
            where = "the shipped rate table"
        else:
            where = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ValidationError("rates", Path(where).name, f"a readable JSON rate table ({exc.strerror})") from None
        try:
            return cls.from_mapping(json.loads(text), where)
        except json.JSONDecodeError as exc:
            raise ValidationError("rates", Path(where).name, f"JSON ({exc.msg} at line {exc.lineno})") from None

    @classmethod
    def from_mapping(cls, data: Any, where: str = "rates") -> "RateTable":
        where = Path(where).name if where.endswith(".json") else where
        expected = 'an object {"tables": [{"effective_from": "YYYY-MM-DD", "rates": {"linux-2": 0.006, ...}}]}'
        if not isinstance(data, Mapping) or not isinstance(data.get("tables"), list) or not data["tables"]:
            raise ValidationError("rates", where, expected)
        rows = []
        for table in data["tables"]:
            try:
                start = date.fromisoformat(str(table["effective_from"]))
                rates = {str(k): float(v) for k, v in dict(table["rates"]).items()}
            except (KeyError, TypeError, ValueError):
                raise ValidationError("rates", where, expected) from None
            if any(v < 0 or v != v for v in rates.values()):
                raise ValidationError("rates", where, "rates that are numbers ≥ 0")
            rows.append((start, rates))
        rows.sort(key=lambda row: row[0])
        charge = data.get("self_hosted_per_minute", 0.0)
        if isinstance(charge, bool) or not isinstance(charge, (int, float)) or charge < 0:
            raise ValidationError("rates.self_hosted_per_minute", charge, "a number ≥ 0 (USD per minute)")
        return cls(tuple(r[0] for r in rows), tuple(r[1] for r in rows), float(charge), str(data.get("source", where)))

    def rate(self, sku: str, on: date) -> float | None:
        """USD per minute of ``sku`` on day ``on`` (``None``: unknown SKU, or before every table)."""
        if sku == SELF_HOSTED:
            return self.self_hosted_per_minute
        index = bisect_right(self.starts, on) - 1
        if index < 0:
            return None
        return self.rates[index].get(sku)
