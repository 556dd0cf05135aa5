"""Who may sign in to the dashboards: the users file, password hashes and sign-in lockouts.

The users file (``$OPSINTEL_USERS``, default ``data/users.toml``) holds one table per user::

    [users."ana"]
    role = "analyst"                  # executive | analyst | admin
    tenants = ["TEN-001", "TEN-002"]  # or "all"
    email = "ana@example.com"         # optional: maps a single-sign-on account to this entry
    password_hash = "scrypt$n=16384,r=8,p=1$<salt>$<key>"   # optional for sign-on-only users

Passwords are stored as salted scrypt keys (a random salt per user, the cost parameters kept
beside the key so they can be raised later) and compared in constant time. Every problem in
the file is reported as one line naming the file, the user and the field.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dashboards.access import ROLES, Role, Viewer
from dashboards.signin_attempts import (
    AttemptStore,
    Limit,
    Locked,
    SignInLog,
    client_key,
    default_log_path,
    store_path_for,
    user_key,
)

ALL_TENANTS = "all"
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
FIELDS = ("role", "tenants", "email", "password_hash")

# scrypt cost: ~16 MiB and a few tens of ms per hash; upper bounds keep a hand-edited file
# from making every sign-in allocate gigabytes.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_N, MAX_R, MAX_P = 2**20, 32, 16
SALT_BYTES, KEY_BYTES = 16, 32
_HASH = re.compile(r"^scrypt\$n=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$")

MIN_PASSWORD_LENGTH = 10
_COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "1234567890", "0123456789", "qwertyuiop",
    "letmein123", "welcome123", "administrator", "changeme123", "opsintel123",
})


class UsersFileError(ValueError):
    """The users file cannot be used; the message names the file, the user and the field."""


class WeakPassword(ValueError):
    """A new password does not meet the minimum; the message says why."""


# -- password hashes -----------------------------------------------------------------------

@dataclass(frozen=True)
class ScryptHash:
    n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    def encode(self) -> str:
        salt = base64.b64encode(self.salt).decode()
        key = base64.b64encode(self.key).decode()
        return f"scrypt$n={self.n},r={self.r},p={self.p}${salt}${key}"


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # scrypt needs about 128 * r * (n + p) bytes; allow that plus slack.
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=128 * r * (n + p) + (1 << 20), dklen=length)


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A new salted scrypt hash of ``password``, parameters included."""
    salt = secrets.token_bytes(SALT_BYTES)
    return ScryptHash(n, r, p, salt, _derive(password, salt, n, r, p, KEY_BYTES)).encode()


def parse_hash(encoded: str) -> ScryptHash:
    """Decode a stored hash; ValueError says what is wrong with it."""
    match = _HASH.match(encoded)
    if not match:
        raise ValueError("not of the form scrypt$n=N,r=R,p=P$<salt>$<key>")
    n, r, p = (int(match.group(i)) for i in (1, 2, 3))
    if n < 2 or n > MAX_N or n & (n - 1):
        raise ValueError(f"n={n} must be a power of two between 2 and {MAX_N}")
    if not 1 <= r <= MAX_R or not 1 <= p <= MAX_P:
        raise ValueError(f"r={r}, p={p} out of range (r 1..{MAX_R}, p 1..{MAX_P})")
    try:
        salt = base64.b64decode(match.group(4), validate=True)
        key = base64.b64decode(match.group(5), validate=True)
    except ValueError as exc:
        raise ValueError(f"salt or key is not base64 ({exc})") from None
    if len(salt) < SALT_BYTES or len(key) < 16:
        raise ValueError(f"salt needs >= {SALT_BYTES} bytes and key >= 16 bytes")
    return ScryptHash(n, r, p, salt, key)


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches the stored hash (constant-time compare)."""
    stored = parse_hash(encoded)
    candidate = _derive(password, stored.salt, stored.n, stored.r, stored.p, len(stored.key))
    return hmac.compare_digest(candidate, stored.key)


def check_password_strength(password: str, username: str) -> None:
    """Refuse empty, short, common or name-derived passwords (WeakPassword says which)."""
    if not password.strip():
        raise WeakPassword("the password is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.lower() in _COMMON_PASSWORDS or len(set(password)) < 4:
        raise WeakPassword("the password is too easy to guess")
    if username.lower() in password.lower():
        raise WeakPassword("the password must not contain the user name")


# -- the users file ------------------------------------------------------------------------

@dataclass(frozen=True)
class UserRecord:
    name: str
    role: Role
    tenants: tuple[str, ...] | None  # None: every tenant
    email: str | None = None
    password_hash: str | None = None

    def viewer(self) -> Viewer:
        return Viewer(self.name, self.role, None if self.tenants is None else frozenset(self.tenants))

    @property
    def scope(self) -> str:
        return ALL_TENANTS if self.tenants is None else ", ".join(self.tenants)


def parse_tenants(value: Any) -> tuple[str, ...] | None:
    """``"all"`` -> None; a non-empty list of tenant ids -> sorted tuple. ValueError otherwise."""
    if value == ALL_TENANTS:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list) or not value:
        raise ValueError(f'must be "{ALL_TENANTS}" or a non-empty list of tenant ids')
    for tenant in value:
        if not isinstance(tenant, str) or not TENANT_ID.match(tenant):
            raise ValueError(f"{tenant!r} is not a tenant id (letters, digits, '-' and '_')")
    if len(set(value)) != len(value):
        raise ValueError("lists a tenant twice")
    return tuple(sorted(value))


def _parse_user(path: Path, name: str, entry: Any) -> UserRecord:
    def fail(field_name: str, problem: str) -> UsersFileError:
        return UsersFileError(f"{path}: user {name!r}, field {field_name!r}: {problem}")

    if not USER_NAME.match(name):
        raise UsersFileError(f"{path}: user {name!r}: a user name is 1-64 letters, digits, '.', '_', '@' or '-'")
    if not isinstance(entry, dict):
        raise UsersFileError(f"{path}: user {name!r}: expected a table of fields")
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise fail(unknown[0], f"unknown field (expected {', '.join(FIELDS)})")
    role = entry.get("role")
    if role not in ROLES:
        raise fail("role", f"{role!r} is not one of {', '.join(ROLES)}")
    if "tenants" not in entry:
        raise fail("tenants", "missing")
    try:
        tenants = parse_tenants(entry["tenants"])
    except ValueError as exc:
        raise fail("tenants", str(exc)) from None
    email = entry.get("email")
    if email is not None and (not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+", email)):
        raise fail("email", f"{email!r} is not an e-mail address")
    password_hash = entry.get("password_hash")
    if password_hash is not None:
        if not isinstance(password_hash, str):
            raise fail("password_hash", "must be a string")
        try:
            parse_hash(password_hash)
        except ValueError as exc:
            raise fail("password_hash", f"malformed hash: {exc}") from None
    if password_hash is None and email is None:
        raise fail("password_hash", "missing (a user needs a password, an email for single sign-on, or both)")
    return UserRecord(name, role, tenants, email, password_hash)


def read_users(path: Path) -> dict[str, UserRecord]:
    """Users by name; an absent file means no users yet. UsersFileError for a bad file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsersFileError(f"{path}: cannot read the users file: {exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsersFileError(f"{path}: not valid TOML: {exc}") from None
    extra = sorted(set(document) - {"users"})
    if extra:
        raise UsersFileError(f"{path}: unexpected top-level entry {extra[0]!r} (only [users.<name>] tables)")
    entries = document.get("users", {})
    if not isinstance(entries, dict):
        raise UsersFileError(f"{path}: 'users' must be a table of [users.<name>] entries")
    users = {name: _parse_user(path, name, entry) for name, entry in entries.items()}
    seen: dict[str, str] = {}
    for user in users.values():
        if user.email:
            other = seen.setdefault(user.email.casefold(), user.name)
            if other != user.name:
                raise UsersFileError(f"{path}: user {user.name!r}, field 'email': "
                                     f"{user.email!r} is already the email of user {other!r}")
    return users


def _toml_string(value: str) -> str:
    # Python's JSON string escapes are all valid TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def render_users(users: Mapping[str, UserRecord]) -> str:
    lines = ["# opsintel dashboards users: change with `opsintel users add|remove` (see --help).", ""]
    for name in sorted(users):
        user = users[name]
        lines.append(f"[users.{_toml_string(name)}]")
        lines.append(f"role = {_toml_string(user.role)}")
        tenants = (_toml_string(ALL_TENANTS) if user.tenants is None
                   else "[" + ", ".join(_toml_string(t) for t in user.tenants) + "]")
        lines.append(f"tenants = {tenants}")
        if user.email:
            lines.append(f"email = {_toml_string(user.email)}")
        if user.password_hash:
            lines.append(f"password_hash = {_toml_string(user.password_hash)}")
        lines.append("")
    return "\n".join(lines)


def write_users(path: Path, users: Mapping[str, UserRecord]) -> None:
    """Replace the users file atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_users(users))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)  # password hashes: owner only
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# -- signing in ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SignInResult:
    viewer: Viewer | None
    message: str  # shown as is: never says whether the user name exists

    @property
    def ok(self) -> bool:
        return self.viewer is not None


WRONG_CREDENTIALS = "Wrong user name or password."
LOCKED_MESSAGE = "Too many failed sign-ins: try again in {seconds} s."


@dataclass
class Authenticator:
    """Checks passwords against the users file, with lockouts every app process shares.

    A user name is locked for ``lockout_s`` once it has ``max_failures`` failures inside
    ``window_s``; a client (its address, see ``client_key``) likewise after
    ``client_max_failures`` failures across any user names, so one password tried against many
    names is limited too. The counts live in ``store_path`` (default beside the users file) and
    every attempt goes to the sign-in log (default ``<logs>/signin.log``). Unknown user names
    are treated like known ones (same hash work, same lockout), and every failure or lockout
    gets the same message, so neither tells whether a name exists or which limit was hit.
    """

    users_path: Path
    max_failures: int = 5
    window_s: float = 300.0
    lockout_s: float = 60.0
    client_max_failures: int = 20
    clock: Callable[[], float] = time.time  # wall clock: the store outlives the process
    store_path: Path | None = None
    log_path: Path | None = None
    attempts: AttemptStore = field(init=False, repr=False)
    log: SignInLog = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _cache: tuple[tuple[int, int], dict[str, UserRecord]] | None = field(default=None, repr=False)
    _dummy_hash: str = field(default_factory=lambda: hash_password(secrets.token_hex(16)), repr=False)

    def __post_init__(self) -> None:
        self.store_path = self.store_path or store_path_for(self.users_path)
        self.log_path = self.log_path or default_log_path()
        self.attempts = AttemptStore(self.store_path)
        self.log = SignInLog(self.log_path)

    def users(self) -> dict[str, UserRecord]:
        """The users file, re-read when it changes. UsersFileError for a bad file."""
        try:
            stat = self.users_path.stat()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise UsersFileError(f"{self.users_path}: cannot read the users file: {exc.strerror}") from None
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if self._cache and self._cache[0] == key:
                return self._cache[1]
        users = read_users(self.users_path)
        with self._lock:
            self._cache = (key, users)
        return users

    def current_viewer(self, username: str) -> Viewer | None:
        """The signed-in user's viewer as the file says now (None once the user is removed)."""
        user = self.users().get(username)
        return user.viewer() if user else None

    def user_for_email(self, email: str | None) -> UserRecord | None:
        """The user whose ``email`` matches (case-insensitively), if any."""
        if not email:
            return None
        wanted = email.casefold()
        for user in self.users().values():
            if user.email and user.email.casefold() == wanted:
                return user
        return None

    def viewer_for_email(self, email: str | None) -> Viewer | None:
        """The viewer of the user whose ``email`` matches (case-insensitively), if any."""
        user = self.user_for_email(email)
        return user.viewer() if user else None

    def authenticate(self, username: str, password: str, client: object = None) -> SignInResult:
        """Check one sign-in from ``client`` (``st.context.ip_address``; None: unknown).

        SignInStoreError when the attempts store or the log cannot be used: the sign-in is
        refused then, never let through unlimited.
        """
        username = username.strip()
        users = self.users()
        limits = self._limits(username, client)
        where = client_key(client)
        started = self.attempts.begin(limits, self.clock(), self.window_s, self.lockout_s)
        if isinstance(started, Locked):
            self._log("refused", username, where, username in users, started)
            return SignInResult(None, LOCKED_MESSAGE.format(seconds=math.ceil(started.seconds)))
        user = users.get(username)
        stored = user.password_hash if user else None
        # Same scrypt work whether or not the user (or their password) exists.
        matches = verify_password(password, stored or self._dummy_hash) and stored is not None
        if matches and user is not None:
            self.attempts.succeed(started)
            self._log("signed-in", username, where, True)
            return SignInResult(user.viewer(), f"Signed in as {user.name}.")
        locked = self.attempts.locked(limits, self.clock(), self.window_s, self.lockout_s)
        self._log("lockout" if locked else "failed", username, where, user is not None, locked)
        return SignInResult(None, WRONG_CREDENTIALS)

    def log_single_sign_on(self, email: str, client: object, user: UserRecord | None) -> None:
        """Record a single-sign-on identity let in (as ``user``) or refused (no such user)."""
        self.log.write(self.clock(), "sign-in", "signed-in" if user else "failed",
                       user.name if user else email, client_key(client),
                       method="single-sign-on", email=email)

    def _limits(self, username: str, client: object) -> tuple[Limit, Limit]:
        return (Limit("user", user_key(username), self.max_failures, cleared_by_success=True),
                Limit("client", client_key(client), self.client_max_failures, cleared_by_success=False))

    def _log(self, outcome: str, username: str, client: str, known: bool,
             locked: Locked | None = None) -> None:
        details: dict[str, object] = {"method": "password", "known_user": known}
        if locked is not None:
            details |= {"locked_by": list(locked.by), "locked_for_s": math.ceil(locked.seconds)}
        self.log.write(self.clock(), "sign-in", outcome, username, client, **details)
