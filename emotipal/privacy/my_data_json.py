"""A client's data as JSON (the machine-readable copy): every section of my_data.MyData, with times in ISO 8601
in the client's zone (with its offset, so each is also an exact instant) and days as YYYY-MM-DD."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import Any

from emotipal.platform import clock
from emotipal.privacy.my_data import FORMAT_NAME, FORMAT_VERSION, MyData
from emotipal.privacy.my_data_coverage import not_included


def _plain(value: Any, tz: dt.tzinfo) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # a time typed without a zone: as written
            return value.isoformat(timespec="seconds")
        return value.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v, tz) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, tz) for v in value]
    return value


def as_json(data: MyData) -> dict[str, Any]:
    tz = clock.zone(data.time_zone) or clock.UTC
    body = _plain(dataclasses.asdict(data), tz)
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        **body,
        "not_included": [str(reason) for reason in not_included()],
    }


def dumps(data: MyData) -> str:
    return json.dumps(as_json(data), ensure_ascii=False, indent=2)
