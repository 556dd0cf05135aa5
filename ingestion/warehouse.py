"""The DuckDB warehouse: one writer at a time, readers on a published snapshot.

DuckDB lets one process write a database file, and a read-only connection from another
process cannot open the file while a writer holds it. So the pipeline writes the working
file under an inter-process lock, and after every successful write the file is copied to a
new versioned snapshot under ``snapshots/`` and the symlink ``<name>.published.duckdb`` is
atomically switched to it. Readers open the snapshot the link points to, read-only: they keep
their snapshot while the pipeline writes and see the next one on their next connection. (A
versioned file name matters: DuckDB caches open databases per path within a process.)
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# No extension may be fetched at run time: everything the project uses is built in.
_OFFLINE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or written; the message says why in one line."""


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never downloads extensions."""
    return duckdb.connect(str(path), read_only=read_only, config=dict(_OFFLINE_CONFIG))


class Warehouse:
    def __init__(self, path: Path | str, *, lock_timeout_s: float = 3600.0) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s

    @property
    def published_path(self) -> Path:
        return self.path.with_name(f"{self.path.stem}.published{self.path.suffix}")

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(f"{self.path.name}.lock")

    @contextmanager
    def exclusive(self) -> Iterator[Path]:
        """Hold the writer lock without opening the file; publish a snapshot if the block succeeds.

        For writers in another process (dbt): they open ``self.path`` themselves while this
        process keeps every other writer out. Waits up to ``lock_timeout_s`` for the lock.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"cannot create warehouse folder {self.path.parent}: {exc.strerror}") from exc
        with self._exclusive_lock():
            yield self.path
            self.publish()

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Exclusive read-write connection; publishes a snapshot when the block succeeds.

        Waits (up to ``lock_timeout_s``) for another writer to finish instead of failing.
        Transactions are the caller's: whatever is committed when the block exits is kept.
        """
        with self.exclusive():
            try:
                con = connect(self.path)
            except duckdb.Error as exc:
                raise WarehouseError(f"cannot open warehouse {self.path}: {exc}") from exc
            try:
                yield con
                con.execute("CHECKPOINT")
            finally:
                con.close()

    @property
    def snapshots_dir(self) -> Path:
        return self.path.parent / "snapshots"

    def current_snapshot(self) -> Path | None:
        """The snapshot file readers should open now, or None before the first publish."""
        link = self.published_path
        return link.resolve() if link.is_symlink() and link.resolve().exists() else None

    def reader(self) -> duckdb.DuckDBPyConnection:
        """Read-only connection to the latest published snapshot."""
        snapshot = self.current_snapshot()
        if snapshot is None:
            raise WarehouseError(
                f"no published warehouse at {self.published_path}: run `opsintel load` first"
            )
        return connect(snapshot, read_only=True)

    def publish(self, keep: int = 3) -> Path | None:
        """Copy the working file to a new snapshot and switch the published link to it."""
        if not self.path.exists():
            return None
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        version = f"{time.time_ns()}-{os.getpid()}"
        snapshot = self.snapshots_dir / f"{self.path.stem}.{version}{self.path.suffix}"
        staging_link = self.published_path.with_name(f".{self.published_path.name}.{version}.tmp")
        try:
            shutil.copyfile(self.path, snapshot)
            os.symlink(os.path.relpath(snapshot, self.published_path.parent), staging_link)
            os.replace(staging_link, self.published_path)
        except OSError as exc:
            snapshot.unlink(missing_ok=True)
            staging_link.unlink(missing_ok=True)
            raise WarehouseError(f"cannot publish warehouse snapshot {snapshot}: {exc.strerror}") from exc
        # Older snapshots may still be open by readers; unlinking leaves their view intact.
        for old in sorted(self.snapshots_dir.glob(f"{self.path.stem}.*{self.path.suffix}"),
                          key=lambda p: p.stat().st_mtime_ns)[:-keep]:
            old.unlink(missing_ok=True)
        return snapshot

    @contextmanager
    def _exclusive_lock(self) -> Iterator[None]:
        with open(self.lock_path, "a+") as handle:
            deadline = time.monotonic() + self.lock_timeout_s
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WarehouseError(
                            f"another writer has held {self.lock_path} for over "
                            f"{self.lock_timeout_s:.0f} s; giving up"
                        ) from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
