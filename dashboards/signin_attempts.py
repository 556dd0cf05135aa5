"""Failed sign-ins shared by every dashboards process, and the sign-in audit log.

Attempts live in a SQLite file beside the users file (``data/users.toml`` ->
``data/users.signin.sqlite``, owner-only), in WAL mode with a busy timeout, so every app process
sees the same counts and a restart clears nothing. Each attempt is one row per limit it counts
against: ``('user', <name>)`` and ``('client', <address>)``. An attempt is stored as a failure
*before* the password is checked, in the same transaction that checks the limits, and turned
into a success only when the password matches: parallel guesses cannot overrun a limit, and a
process that dies mid-check leaves a failure behind, never a free try.

The audit log (``<logs>/signin.log``, logs folder ``$OPSINTEL_LOGS`` else ``data/logs``) holds
one JSON object per line: every sign-in, failure, refusal while locked and unlock, with the
user, UTC time, outcome and client; never a password. Each line is a single append-mode write,
so several processes can share the file.

Times are wall-clock seconds (``time.time``) so locks outlive a restart; the caller passes
``now`` so tests can move the clock.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from foundation.settings import logs_path
from foundation.warehouse import first_line

Kind = Literal["user", "client"]
LOCAL_CLIENT = "local"  # no address known (same machine, or a test harness): one shared key
MAX_KEY_CHARS = 128  # a user name is at most 64; longer input is never a user
# The log is rotated past this size into one older generation (<log>.1): a stream of refused
# attempts can never fill the disk.
MAX_LOG_BYTES = 10 * 1024 * 1024
BUSY_TIMEOUT_MS = 5000

SIGNIN_LOG = "signin.log"

_SCHEMA = """
create table if not exists attempts (
    id integer primary key autoincrement,
    kind text not null check (kind in ('user', 'client')),
    key text not null,
    at real not null,
    outcome text not null check (outcome in ('failure', 'success'))
);
create index if not exists attempts_by_key on attempts (kind, key, at);
create index if not exists attempts_by_time on attempts (at);
"""


class SignInStoreError(RuntimeError):
    """The attempts store or the sign-in log cannot be used; the message names the file."""


@dataclass(frozen=True)
class Limit:
    """At most ``max_failures`` failures of (kind, key) per window; a success of the key clears
    its count only when ``cleared_by_success`` (a client's count is not: signing in to one's own
    account must not reset a spray)."""

    kind: Kind
    key: str
    max_failures: int
    cleared_by_success: bool


@dataclass(frozen=True)
class Locked:
    seconds: float
    by: tuple[Kind, ...]  # which limits are reached, for the log only


@dataclass(frozen=True)
class Reservation:
    """The failure rows stored for one attempt in progress."""

    row_ids: tuple[int, ...]


def user_key(username: str) -> str:
    return username.strip().casefold()[:MAX_KEY_CHARS]


def client_key(address: object) -> str:
    """One key per client: an IPv4 address, an IPv6 /64 (one subscriber's range), else LOCAL_CLIENT.

    ``address`` is Streamlit's ``st.context.ip_address``: the TCP peer, or what a proxy on the
    same host forwarded; None on localhost. Anything that is not an IP address string counts
    as unknown, so the client limit still applies to it (as one shared client).
    """
    if not isinstance(address, str):
        return LOCAL_CLIENT
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return LOCAL_CLIENT
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def parse_client_key(text: str) -> str | None:
    """The client key an admin means: an address, a key as the log shows it (``203.0.113.7``,
    ``2001:db8::/64``, ``local``); None when it is neither."""
    text = text.strip()
    if text == LOCAL_CLIENT:
        return text
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return client_key(str(network.network_address))


def store_path_for(users_path: Path) -> Path:
    """The attempts store beside the users file: ``users.toml`` -> ``users.signin.sqlite``."""
    return users_path.with_name(f"{users_path.stem}.signin.sqlite")


def default_log_path() -> Path:
    return logs_path() / SIGNIN_LOG


class AttemptStore:
    """Sign-in attempts in one SQLite file; every failure to use it is a SignInStoreError."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # -- the limits --------------------------------------------------------------------------

    def begin(self, limits: Sequence[Limit], now: float, window_s: float,
              lockout_s: float) -> Locked | Reservation:
        """Locked if any limit is reached; else a failure row per limit, stored at once."""
        with self._transaction() as db:
            db.execute("delete from attempts where at < ?", (now - window_s - lockout_s,))
            # A clock set back leaves rows in the future: count them from now, so their lock
            # ends one lockout from now instead of when the clock catches up.
            db.execute("update attempts set at = ? where at > ?", (now, now))
            locked = self._locked(db, limits, now, window_s, lockout_s)
            if locked is not None:
                return locked
            ids = tuple(db.execute("insert into attempts (kind, key, at, outcome) values (?, ?, ?, 'failure')",
                                   (limit.kind, limit.key, now)).lastrowid or 0 for limit in limits)
            return Reservation(ids)

    def succeed(self, reservation: Reservation) -> None:
        """The password matched: the attempt's rows become successes."""
        with self._transaction() as db:
            db.executemany("update attempts set outcome = 'success' where id = ?",
                           [(row_id,) for row_id in reservation.row_ids])

    def locked(self, limits: Sequence[Limit], now: float, window_s: float,
               lockout_s: float) -> Locked | None:
        with self._transaction() as db:
            return self._locked(db, limits, now, window_s, lockout_s)

    def clear(self, kind: Kind, key: str) -> int:
        """Forget the failures of (kind, key), e.g. an admin unlocking a user; how many."""
        with self._transaction() as db:
            return db.execute("delete from attempts where kind = ? and key = ? and outcome = 'failure'",
                              (kind, key)).rowcount

    @staticmethod
    def _locked(db: sqlite3.Connection, limits: Sequence[Limit], now: float, window_s: float,
                lockout_s: float) -> Locked | None:
        by: list[Kind] = []
        seconds = 0.0
        for limit in limits:
            count, last = db.execute(
                "select count(*), max(at) from attempts where kind = ? and key = ? and outcome = 'failure'"
                " and at > ? and id > ?",
                (limit.kind, limit.key, now - window_s, _last_success_id(db, limit)),
            ).fetchone()
            if count < limit.max_failures:
                continue
            remaining = min(lockout_s, last + lockout_s - now)  # rows from a clock set back
            if remaining > 0:
                by.append(limit.kind)
                seconds = max(seconds, remaining)
        return Locked(seconds, tuple(by)) if by else None

    # -- the file ----------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (taken at once, so check-then-insert is atomic across processes)."""
        try:
            with closing(self._connect()) as db:
                db.execute("begin immediate")
                try:
                    yield db
                except BaseException:
                    db.rollback()
                    raise
                db.commit()
        except (sqlite3.Error, OSError) as exc:
            raise SignInStoreError(f"{self.path}: the sign-in attempts store cannot be used "
                                   f"({first_line(exc)}); sign-in is refused until it is repaired "
                                   "or moved aside") from None

    def _connect(self) -> sqlite3.Connection:
        self._create_owner_only()
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            db.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("pragma journal_mode = wal")
            db.execute("pragma synchronous = normal")
            db.executescript(_SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

    def _create_owner_only(self) -> None:
        # SQLite would create the file with the umask's mode (and its -wal/-shm files copy the
        # database's mode): create it owner-only first.
        if self.path.exists():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))


def _last_success_id(db: sqlite3.Connection, limit: Limit) -> int:
    if not limit.cleared_by_success:
        return 0
    row = db.execute("select max(id) from attempts where kind = ? and key = ? and outcome = 'success'",
                     (limit.kind, limit.key)).fetchone()
    return row[0] or 0


# -- the audit log ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SignInLog:
    """One JSON line per sign-in event in ``path`` (created owner-only)."""

    path: Path

    def write(self, now: float, event: str, outcome: str, user: str, client: str,
              **details: object) -> None:
        record: Mapping[str, object] = {
            "time": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "event": event, "outcome": outcome, "user": user[:MAX_KEY_CHARS], "client": client, **details,
        }
        # json.dumps escapes newlines, so a crafted name cannot forge a second line.
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = self._open_rotated()
            try:
                os.write(fd, line)  # one write per line: lines from several processes never interleave
            finally:
                os.close(fd)
        except OSError as exc:
            raise SignInStoreError(f"{self.path}: cannot write the sign-in log "
                                   f"({exc.strerror or first_line(exc)}); sign-in is refused until it "
                                   "is writable") from None

    @property
    def rotated_path(self) -> Path:
        return self.path.with_name(self.path.name + ".1")

    def _open_rotated(self) -> int:
        """The log opened for appending, first moved to ``<log>.1`` when it has reached
        ``MAX_LOG_BYTES`` (under a lock, so several processes rotate it once)."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if os.fstat(fd).st_size < MAX_LOG_BYTES:
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # Another process may have rotated it meanwhile: move only the file still at the path.
            with contextlib.suppress(FileNotFoundError):
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    os.replace(self.path, self.rotated_path)
        finally:
            os.close(fd)
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
