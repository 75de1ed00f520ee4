"""c1-mock's request log, in place of uvicorn's access log (which prints paths and query strings
as sent, so a secret in a URL would reach stdout): one line per request with the time, method,
path (ids kept, anything else redacted as the journal does), operationId, status, client id,
latency and `fault` when an injected fault answered; as text, or one JSON object a line."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from ..control.journal import Entry

log = logging.getLogger("c1mock.requests")
# What the served app returns to uvicorn for a connection an injected fault drops.
DROPPED_BY_FAULT = "c1-mock: connection dropped by an injected fault"


def enabled() -> bool:
    """Whether answered requests are logged (at --log-level info or debug)."""
    return log.isEnabledFor(logging.INFO)


def request(entry: Entry) -> None:
    """Log one answered request (see `enabled`)."""
    text = (
        f"{entry.method} {entry.path} {entry.operation_id or '-'} {entry.status} "
        f"client={entry.client_id or '-'} {entry.latency_ms:.1f}ms"
    )
    fields = {
        "method": entry.method,
        "path": entry.path,
        "operationId": entry.operation_id,
        "status": entry.status,
        "clientId": entry.client_id,
        "latencyMs": round(entry.latency_ms, 3),
        "fault": entry.fault,
    }  # as the journal shows them (GET /_mock/requests)
    log.info(text + (" fault" if entry.fault else ""), extra={"c1mock": fields})


class TextFormatter(logging.Formatter):
    """Lines that start with the UTC time."""

    converter = time.gmtime  # type: ignore[assignment]  # (typeshed: gmtime takes an optional float)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, and a request's fields or the message."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        out: dict[str, Any] = {"time": f"{stamp}.{int(record.msecs):03d}Z"}
        out |= {"level": record.levelname.lower(), "logger": record.name}
        fields = getattr(record, "c1mock", None)
        out |= fields if isinstance(fields, dict) else {"message": record.getMessage()}
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out)


class QuietDrops(logging.Filter):
    """uvicorn's complaint about an app that answered nothing, when an injected fault meant it
    (request/route.py's DropConnections): the request log has the request already."""

    def filter(self, record: logging.LogRecord) -> bool:
        return DROPPED_BY_FAULT not in str(record.args)


def config(level: str, format: str) -> dict[str, Any]:
    """The logging configuration of a server (uvicorn's `log_config`): uvicorn's own messages
    and c1-mock's, as text with UTC times or as JSON; uvicorn's access log is off."""
    text = {
        "class": f"{__name__}.TextFormatter",
        "format": "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s",
        "datefmt": "%Y-%m-%dT%H:%M:%S",
    }
    formatter = {"class": f"{__name__}.JsonFormatter"} if format == "json" else text
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "c1mock",
        "stream": "ext://sys.stderr",
        "filters": ["quiet_drops"],
    }
    loggers = {name: {"level": level.upper()} for name in ("uvicorn", "uvicorn.error", "c1mock")}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"c1mock": formatter},
        "filters": {"quiet_drops": {"()": f"{__name__}.QuietDrops"}},
        "handlers": {"c1mock": handler},
        "root": {"handlers": ["c1mock"], "level": "WARNING"},
        "loggers": loggers | {"uvicorn.access": {"level": "WARNING", "propagate": False}},
    }
