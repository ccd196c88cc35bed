"""Log lines for the API and the worker: structlog, one JSON object a line ("console" for people at a terminal).

Every line carries what is known of where it comes from: `request_id` (the API binds it per request,
api/request_ids.py), `workflow_id` and `return_id` (the worker binds them per activity, `ActivityLogContext`;
Temporal's own workflow and activity loggers put them on their records), and the trace's `trace_id`. The
stdlib `logging` calls all over the code base, uvicorn's access log included, go through the same processors.
Nothing here adds a field of a customer's data: ids only (api/log_redaction.py keeps portal links out of
uvicorn's access lines before they get here).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog
from opentelemetry import trace
from structlog.contextvars import bind_contextvars, reset_contextvars
from structlog.types import EventDict, Processor
from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from workflows.ids import return_workflow_id, transfer_workflow_id

_RETURN_PREFIX = return_workflow_id("R").partition("R")[0]  # "return-"
_TRANSFER_PREFIX = transfer_workflow_id("R", "L").partition("R")[0]  # "transfer-"
# Uvicorn hands its own loggers their handlers and formats; they are rerouted to the root logger's.
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")


def return_id_of(workflow_id: str) -> str | None:
    """The return a workflow works for, read off its id (workflows/ids.py): `return-<id>`, `transfer-<id>-<line>`."""
    if workflow_id.startswith(_RETURN_PREFIX):
        return workflow_id.removeprefix(_RETURN_PREFIX) or None
    if workflow_id.startswith(_TRANSFER_PREFIX):
        return workflow_id.removeprefix(_TRANSFER_PREFIX).partition("-")[0] or None  # return ids hold no "-"
    return None


def _temporal_ids(_: Any, __: str, event: EventDict) -> EventDict:
    """workflow_id and return_id from Temporal's workflow.logger / activity.logger records (their `extra`)."""
    record = event.get("_record")
    info = getattr(record, "temporal_workflow", None) or getattr(record, "temporal_activity", None)
    if isinstance(info, dict) and isinstance(info.get("workflow_id"), str):
        event.setdefault("workflow_id", info["workflow_id"])
    workflow_id = event.get("workflow_id")
    if "return_id" not in event and isinstance(workflow_id, str) and (return_id := return_id_of(workflow_id)):
        event["return_id"] = return_id
    return event


def _trace_ids(_: Any, __: str, event: EventDict) -> EventDict:
    """The current span's trace id, so a line leads to its trace (and back)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
    return event


def _access_fields(_: Any, __: str, event: EventDict) -> EventDict:
    """Uvicorn's access line as fields too (its path already redacted by api/log_redaction.py's filter). The
    arguments of other records are in their message already: not repeated."""
    args = event.pop("positional_args", None)
    record = event.get("_record")
    if record is not None and record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        _client, method, path, _version, status = args
        event.update(method=method, path=path, status=status)
    return event


def _shared() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _temporal_ids,
        _trace_ids,
    ]


def formatter(
    log_format: Literal["json", "console"] = "json", colors: bool = False
) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every handler: structlog's own lines and stdlib records alike."""
    if log_format == "json":
        rendering: list[Processor] = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        rendering = [structlog.dev.ConsoleRenderer(colors=colors)]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared(), _access_fields],
        pass_foreign_args=True,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
    )


class LineHandler(logging.StreamHandler):
    """The handler setup_logging installed (a second call replaces it instead of adding one)."""


def setup_logging(
    log_format: Literal["json", "console"] = "json", level: str = "INFO", stream: TextIO | None = None
) -> logging.Handler:
    """Once per process (calling again replaces the handler): the root logger writes through `formatter`, and
    structlog's loggers hand their events to it. Returns the handler (tests point it at a buffer)."""
    structlog.configure(
        processors=[*_shared(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    stream = stream or sys.stderr
    handler = LineHandler(stream)
    handler.setFormatter(formatter(log_format, colors=stream.isatty()))  # no colour codes in make run's log files
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, LineHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _UVICORN:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # httpx logs every request's full URL at INFO (a merchant's webhook URL may hold a token in its query); the
    # calls are in the traces, their URLs without the query.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    return handler


class ActivityLogContext(Interceptor):
    """Binds the activity's workflow_id, return_id and type for every line logged while it runs (any logger,
    in its thread too: Temporal copies the context into the executor's thread)."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _BindActivity(next)


class _BindActivity(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        fields = {"activity": info.activity_type}
        if info.workflow_id:
            fields["workflow_id"] = info.workflow_id
            if return_id := return_id_of(info.workflow_id):
                fields["return_id"] = return_id
        tokens = bind_contextvars(**fields)
        try:
            return await super().execute_activity(input)
        finally:
            reset_contextvars(**tokens)
