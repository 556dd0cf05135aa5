"""Retry policy of the ops that write the warehouse, and which errors it applies to.

Transient errors (the writer lock timing out, a full disk being cleared, an I/O error, dbt
crashing before it ran anything) are retried with exponential backoff and jitter, so the
retries of overlapping runs do not collide again. Data problems raise
``dg.Failure(allow_retries=False)``: the same files fail the same way, so they stop at once.
So do programming errors: retrying a bug only delays its report by minutes.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from foundation.warehouse import WarehouseError

# Waits of about 30 s, 90 s and 210 s (EXPONENTIAL: (2^attempt - 1) x delay, +/- delay).
TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

# What may succeed when tried again: the lock, the disk, the file system.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    WarehouseError,
    OSError,
    TimeoutError,
    duckdb.IOException,
)


@contextmanager
def retry_transient_only(step: str) -> Iterator[None]:
    """Let transient errors and ``dg.Failure`` through; make any other error a final failure."""
    try:
        yield
    except (dg.Failure, *TRANSIENT_ERRORS):
        raise
    except Exception as exc:
        lines = str(exc).strip().splitlines()
        raise dg.Failure(
            description=f"{step}: {type(exc).__name__}: {lines[0] if lines else 'no message'}",
            allow_retries=False,
        ) from exc
