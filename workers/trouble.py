"""The worker's eyes on trouble that Temporal would otherwise retry quietly for hours.

- `SideEffectWatch` (an activity interceptor): a call to the outside (email, carrier, payments,
  a merchant's webhook), or a lean return's database step run as a local activity, that has failed `after_attempts` times in a row is reported while Temporal
  keeps retrying it: to the return's workflow as a signal (timeline, NeedsAttention, attention
  list), or, when that workflow has closed, straight into the attention list and the timeline.
  Its later success is reported too.
- `WorkflowTaskWatch` (a logging handler): the SDK logs every failed workflow task (a bug or a
  non-determinism: the workflow cannot move until code changes); the return goes on the
  attention list the first time it happens.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from db.attention import flag_return, return_merchant
from workflows.ids import SIDE_EFFECT_TROUBLE_SIGNAL, return_workflow_id
from workflows.messages import WAITING_ACTIVITY_ERRORS, AttentionKind, SideEffectTrouble

log = logging.getLogger("returnflow.trouble")

# Activities that ask again and again by design (they raise the waiting errors above until settled).
POLLING_ACTIVITIES = frozenset({"confirm_refund", "confirm_void"})


class SideEffectWatch(Interceptor):
    def __init__(self, client: Client, engine: Engine, after_attempts: int = 3) -> None:
        self.client, self.engine, self.after_attempts = client, engine, after_attempts

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Watched(next, self)

    async def report(self, return_id: str, merchant_id: str | None, trouble: SideEffectTrouble) -> None:
        try:
            await self.client.get_workflow_handle(return_workflow_id(return_id)).signal(
                SIDE_EFFECT_TROUBLE_SIGNAL, trouble
            )
            return
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                log.warning(
                    "could not tell return %s about %s: %s",
                    return_id,
                    trouble.activity,
                    err.message,
                )
                return
        if trouble.recovered:
            return
        # The return has closed (a webhook delivery outlives it): the record is ours to write.
        merchant_id = merchant_id or await asyncio.to_thread(return_merchant, self.engine, return_id)
        if merchant_id is None:
            return
        reason = f"{trouble.activity} keeps failing (attempt {trouble.attempt}): {trouble.error[:300]}; still retrying"
        await asyncio.to_thread(
            flag_return,
            self.engine,
            merchant_id=merchant_id,
            return_id=return_id,
            kind=AttentionKind.SIDE_EFFECT_FAILING,
            about=trouble.activity,
            reason=reason,
            on_timeline=True,
        )


class _Watched(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, watch: SideEffectWatch) -> None:
        super().__init__(next)
        self._watch = watch

    def init(self, outbound) -> None:
        self._info = outbound.info()
        super().init(outbound)

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info, limit = self._info, self._watch.after_attempts
        subject = _subject(input.args)
        if subject and info.attempt == limit + 1 and info.activity_type not in POLLING_ACTIVITIES:
            # Earlier attempts may have timed out rather than raised here (a hung call): say so now.
            error = f"{limit} attempts failed or timed out"
            await self._watch.report(
                *subject, SideEffectTrouble(activity=info.activity_type, attempt=limit, error=error)
            )
        try:
            result = await super().execute_activity(input)
        except Exception as err:
            if subject and info.attempt == limit and _retried(err):
                trouble = SideEffectTrouble(activity=info.activity_type, attempt=info.attempt, error=_words(err))
                await self._watch.report(*subject, trouble)
            raise
        if subject and info.attempt > limit:
            await self._watch.report(
                *subject,
                SideEffectTrouble(activity=info.activity_type, attempt=info.attempt, recovered=True),
            )
        return result


def _subject(args) -> tuple[str, str | None] | None:
    """(return_id, merchant_id) of the return an activity works for, from its argument."""
    arg = args[0] if args else None
    return_id = getattr(arg, "return_id", None)
    return (return_id, getattr(arg, "merchant_id", None)) if isinstance(return_id, str) else None


def _retried(err: BaseException) -> bool:
    if isinstance(err, ApplicationError):
        return not err.non_retryable and err.type not in WAITING_ACTIVITY_ERRORS
    return not isinstance(err, asyncio.CancelledError)


def _words(err: BaseException) -> str:
    return getattr(err, "message", None) or f"{type(err).__name__}: {err}"


class WorkflowTaskWatch(logging.Handler):
    """Attach with `install()`; `drain()` writes what it saw (run it as a task of the worker)."""

    LOGGER = "temporalio.worker._workflow_instance"

    def __init__(self, engine: Engine) -> None:
        super().__init__(level=logging.WARNING)
        self.engine = engine
        self._seen: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self._flagged: set[str] = set()

    def install(self) -> WorkflowTaskWatch:
        logging.getLogger(self.LOGGER).addHandler(self)
        return self

    def uninstall(self) -> None:
        logging.getLogger(self.LOGGER).removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        # Runs on the workflow's thread: only note it here.
        details = getattr(record, "temporal_workflow", None)
        if getattr(record, "__temporal_error_identifier", None) != "WorkflowTaskFailure" or not isinstance(
            details, dict
        ):
            return
        error = record.exc_info[1] if record.exc_info else None
        self._seen.put(
            (
                str(details.get("workflow_id", "")),
                f"{type(error).__name__}: {error}" if error else record.getMessage(),
            )
        )

    async def drain(self, every: float = 1.0) -> None:
        while True:
            await asyncio.to_thread(self.flag_seen)
            await asyncio.sleep(every)

    def flag_seen(self) -> int:
        """Write an attention row for each return whose workflow task failed; returns how many were new."""
        new = 0
        while not self._seen.empty():
            workflow_id, error = self._seen.get()
            return_id = workflow_id.removeprefix(return_workflow_id(""))
            if workflow_id == return_id or return_id in self._flagged:
                continue  # not a return's workflow, or known already
            merchant_id = return_merchant(self.engine, return_id)
            if merchant_id is None:
                continue
            self._flagged.add(return_id)
            reason = (
                f"the return's workflow cannot move on ({error[:300]}); it needs a code fix, Temporal keeps retrying"
            )
            new += flag_return(
                self.engine,
                merchant_id=merchant_id,
                return_id=return_id,
                kind=AttentionKind.WORKFLOW_TASK_FAILED,
                about="",
                reason=reason,
                on_timeline=False,
            )
        return new
