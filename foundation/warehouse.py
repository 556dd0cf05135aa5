"""The DuckDB warehouse: one writer at a time, readers on a published snapshot.

DuckDB lets one process write a database file, and a read-only connection from another
process cannot open the file while a writer holds it. So the pipeline writes the working
file under an inter-process lock, and after every successful write the file is copied to a
new versioned snapshot under ``snapshots/`` and the symlink ``<name>.published.duckdb`` is
atomically switched to it. Readers open the snapshot the link points to, read-only: they keep
their snapshot while the pipeline writes and see the next one on their next connection. (A
versioned file name matters: DuckDB caches open databases per path within a process.)

Faults (a writer killed half-way, a full disk, a folder the writer may not write):

* ``writer()`` and ``build_copy()`` (for dbt) write a scratch copy and swap it in only when
  complete, so a killed or failed write leaves the working file as it was. (Killing a DuckDB
  writer in place and relying on its WAL recovery lost and doubled rows once in 50 kills.)
* A snapshot is written under a hidden temporary name and renamed when complete; the link
  switches only to complete snapshots. Every temporary name carries its writer's process id,
  and the next writer removes the ones whose process is dead.
* A writer checks permissions and free space before it changes anything, and a full disk or a
  refused write ends in one ``WarehouseError`` line, never a DuckDB stack trace.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# No extension may be fetched at run time: everything the project uses is built in.
_OFFLINE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

# Hidden temporary files: ".<what>.<pid>-<unique>.tmp" (plus DuckDB's ".wal" beside a scratch).
_TEMP_NAME = re.compile(r"^\..+\.(?P<pid>\d+)-[0-9a-f]+\.tmp(\.wal)?$")


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or written; the message says why in one line."""


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: object) -> Iterator[str]:
    """``frame`` (pandas or Arrow) visible to ``con``'s SQL as ``name`` for the block."""
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``schema.table`` exists (a warehouse may predate a schema, e.g. before a first load)."""
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()[0][0] > 0


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

    @property
    def snapshots_dir(self) -> Path:
        return self.path.parent / "snapshots"

    @contextmanager
    def exclusive(self) -> Iterator[Path]:
        """Hold the writer lock without opening the file; publish a snapshot if the block succeeds.

        For writers in another process that write the working file in place: they open
        ``self.path`` themselves while this process keeps every other writer out. A writer
        killed half-way leaves its partial work in the working file; rebuilds should use
        ``build_copy()`` instead. Waits up to ``lock_timeout_s`` for the lock.
        """
        with self._locked():
            self._require_free_space(copies=1, purpose="publish a snapshot")
            yield self.path
            self.publish()

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Exclusive read-write connection; publishes a snapshot when the block succeeds.

        The connection is to a scratch copy of the working file (``build_copy``), which
        replaces it only when the block succeeds: a write that fails or is killed half-way
        changes nothing, and never leaves DuckDB a half-written file to recover. Waits (up to
        ``lock_timeout_s``) for another writer to finish instead of failing. Transactions are
        the caller's: what is committed when the block exits normally is kept. A DuckDB error
        escaping the block (a full disk, a refused write) becomes a ``WarehouseError``.
        """
        with self.build_copy() as scratch:
            try:
                con = connect(scratch)
            except duckdb.Error as exc:
                raise WarehouseError(f"cannot open warehouse {self.path}: {first_line(exc)}") from exc
            try:
                yield con
                con.execute("CHECKPOINT")
            except duckdb.Error as exc:
                # What escapes the caller's own handling is the file failing (disk full, ...);
                # the first error of the chain names it, later ones are its consequences.
                reason = first_line(_root_cause(exc))
                raise WarehouseError(f"cannot write warehouse {self.path}: {reason}") from exc
            finally:
                _close_quietly(con)

    @contextmanager
    def build_copy(self) -> Iterator[Path]:
        """Hold the writer lock and yield a scratch copy of the working file to rebuild.

        A writer in another process (dbt) builds into the yielded path. When the block
        succeeds the scratch file atomically replaces the working file and is published; when
        it fails (or the process is killed) the scratch file is dropped and neither the
        working file nor the published snapshot changes.
        """
        with self._locked():
            self._require_free_space(copies=2, purpose="build a copy and publish it")
            scratch = self._temp_path(f"{self.path.name}.scratch")
            try:
                if self.path.exists():
                    self._settle(self.path)
                    try:
                        _durable_copy(self.path, scratch)
                    except OSError as exc:
                        raise WarehouseError(
                            f"cannot copy warehouse {self.path} to {scratch}: {exc.strerror}"
                        ) from exc
                yield scratch
                self._settle(scratch)
                self._swap_in(scratch, self._write_snapshot(scratch))
            finally:
                _remove(scratch, _wal(scratch))  # gone already after a successful swap
            self._prune_snapshots()

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
        try:
            return connect(snapshot, read_only=True)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse snapshot {snapshot}: {first_line(exc)}") from exc

    def publish(self, keep: int = 3) -> Path | None:
        """Copy the working file to a new snapshot and switch the published link to it.

        Call it holding the writer lock (``exclusive`` and ``writer`` do).
        """
        if not self.path.exists():
            return None
        self._settle(self.path)
        snapshot = self._write_snapshot(self.path)
        try:
            self._switch_link(snapshot)
        except OSError as exc:
            snapshot.unlink(missing_ok=True)
            raise WarehouseError(f"cannot publish warehouse snapshot {snapshot}: {exc.strerror}") from exc
        self._prune_snapshots(keep)
        return snapshot

    # -- what every writer does first ------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The writer lock, after checking the folder can be written; leftovers cleaned."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"cannot create warehouse folder {self.path.parent}: {exc.strerror}") from exc
        self._require_writable()
        with self._exclusive_lock():
            self._remove_leftovers()
            yield

    def _require_writable(self) -> None:
        """Refuse before changing anything rather than half-way through a write."""
        for folder in (self.path.parent, self.snapshots_dir):
            if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
                raise WarehouseError(f"cannot write warehouse folder {folder}: permission denied")
        for file in (self.path, self.lock_path):
            if file.exists() and not os.access(file, os.R_OK | os.W_OK):
                raise WarehouseError(f"cannot write warehouse file {file}: permission denied")

    def _require_free_space(self, *, copies: int, purpose: str) -> None:
        """Each copy of the working file (scratch, snapshot) needs its size free on the disk."""
        needed = copies * sum(p.stat().st_size for p in (self.path, _wal(self.path)) if p.exists())
        free = shutil.disk_usage(self.path.parent).free
        if free < needed:
            raise WarehouseError(
                f"not enough free space in {self.path.parent} to {purpose}: "
                f"{needed / 1e6:.1f} MB needed, {free / 1e6:.1f} MB free"
            )

    def _remove_leftovers(self) -> None:
        """Delete temporary files of writers killed half-way (their process is gone).

        Runs under the writer lock, so no live writer is creating one; the process check
        keeps the files of a process that is somehow still running.
        """
        prefix = f".{self.path.stem}."
        for folder in (self.path.parent, self.snapshots_dir):
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                match = _TEMP_NAME.match(entry.name)
                if match and entry.name.startswith(prefix) and not _owner_running(int(match["pid"])):
                    _remove(entry)

    def _settle(self, path: Path) -> None:
        """Fold a write-ahead log left beside ``path`` into it, so a byte copy holds every commit.

        A writer killed (or a dbt process ending) before its checkpoint leaves committed
        transactions only in ``<path>.wal``; copying the file without it would lose them.
        """
        if not (path.exists() and _wal(path).exists()):
            return
        try:
            con = connect(path)
            try:
                con.execute("CHECKPOINT")
            finally:
                con.close()
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot checkpoint warehouse {path}: {first_line(exc)}") from exc

    # -- publishing ------------------------------------------------------------------------

    def _write_snapshot(self, source: Path) -> Path:
        """Copy ``source`` to a new snapshot file: complete under its final name, or not there."""
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        version = f"{time.time_ns()}-{os.getpid()}"
        snapshot = self.snapshots_dir / f"{self.path.stem}.{version}{self.path.suffix}"
        partial = self._temp_path(snapshot.name, folder=self.snapshots_dir)
        try:
            _durable_copy(source, partial)
            os.replace(partial, snapshot)
            _fsync_dir(self.snapshots_dir)
        except OSError as exc:
            _remove(partial, snapshot)
            raise WarehouseError(f"cannot publish warehouse snapshot {snapshot}: {exc.strerror}") from exc
        return snapshot

    def _switch_link(self, snapshot: Path) -> None:
        """Point the published link at ``snapshot`` in one rename (readers never see no link)."""
        staging_link = self._temp_path(self.published_path.name)
        try:
            os.symlink(os.path.relpath(snapshot, self.published_path.parent), staging_link)
            os.replace(staging_link, self.published_path)
            _fsync_dir(self.published_path.parent)
        finally:
            _remove(staging_link)

    def _swap_in(self, built: Path, snapshot: Path) -> None:
        """Make ``built`` the working file and ``snapshot`` the published one, or change neither."""
        previous = self._temp_path(f"{self.path.name}.previous")
        had_working_file = self.path.exists()
        try:
            if had_working_file:
                os.link(self.path, previous)  # a second name for the old file, to put it back
            os.replace(built, self.path)
            try:
                self._switch_link(snapshot)
            except OSError:
                if had_working_file:
                    os.replace(previous, self.path)
                else:
                    self.path.unlink()
                raise
        except OSError as exc:
            snapshot.unlink(missing_ok=True)
            raise WarehouseError(
                f"cannot replace warehouse {self.path} with its rebuild: {exc.strerror}"
            ) from exc
        finally:
            _remove(previous)

    def _prune_snapshots(self, keep: int = 3) -> None:
        """Keep the newest ``keep`` snapshots and always the published one.

        Older snapshots may still be open by readers; unlinking leaves their view intact.
        """
        current = self.current_snapshot()
        snapshots = sorted(self.snapshots_dir.glob(f"{self.path.stem}.*{self.path.suffix}"),
                           key=lambda p: p.stat().st_mtime_ns)
        for old in snapshots[:-keep] if keep > 0 else snapshots:
            if old.resolve() != current:
                old.unlink(missing_ok=True)

    def _temp_path(self, what: str, *, folder: Path | None = None) -> Path:
        return (folder or self.path.parent) / f".{what}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp"

    @contextmanager
    def _exclusive_lock(self) -> Iterator[None]:
        try:
            handle = open(self.lock_path, "a+")  # noqa: SIM115 (closed by the with below)
        except OSError as exc:
            raise WarehouseError(f"cannot open writer lock {self.lock_path}: {exc.strerror}") from exc
        with handle:
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


def _wal(path: Path) -> Path:
    return path.with_name(f"{path.name}.wal")


def first_line(exc: BaseException) -> str:
    """An error in one line for a message: its text's first line, else its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _root_cause(exc: BaseException) -> BaseException:
    """The first DuckDB error of an exception chain (a failed commit, then a failed rollback)."""
    seen: set[int] = set()
    cause = exc
    while id(cause) not in seen:
        seen.add(id(cause))
        earlier = cause.__cause__ or cause.__context__
        if not isinstance(earlier, duckdb.Error):
            break
        cause = earlier
    return cause


def _close_quietly(con: duckdb.DuckDBPyConnection) -> None:
    # After a fatal error (disk full) close() can fail too; the first error is the one to report.
    try:
        con.close()
    except duckdb.Error:
        pass


def _durable_copy(source: Path, target: Path) -> None:
    """Copy and fsync, so a completed copy survives a crash; a failed copy is removed."""
    try:
        shutil.copyfile(source, target)
        with open(target, "rb") as handle:
            os.fsync(handle.fileno())
    except OSError:
        _remove(target)
        raise


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(*paths: Path) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass  # best effort: the next writer's leftover sweep retries


def _owner_running(pid: int) -> bool:
    """True when process ``pid`` exists and is not a zombie (killed, not yet reaped)."""
    if pid == os.getpid():
        return False  # under the lock our own temporary files are leftovers of a failed attempt
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # overflow: not a process id at all
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"
