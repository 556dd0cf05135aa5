"""``opsintel users``: add, list and remove dashboard users, write the demo users, lift lockouts.

Changes go to the users file (``$OPSINTEL_USERS`` or data/users.toml, or ``--file``) by an
atomic replace, so the running dashboards never read a half-written file; they pick up the
change on the next page load. Exit codes follow ``opsintel``: 0 done, 1 failed, 2 bad usage.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from dashboards.access import ROLES
from dashboards.auth import (
    USER_NAME,
    UserRecord,
    UsersFileError,
    WeakPassword,
    check_password_strength,
    hash_password,
    parse_tenants,
    read_users,
    write_users,
)
from dashboards.signin_attempts import (
    LOCAL_CLIENT,
    AttemptStore,
    Kind,
    SignInLog,
    SignInStoreError,
    default_log_path,
    parse_client_key,
    store_path_for,
    user_key,
)
from foundation import settings
from opsintel.console import EXIT_USAGE, fail


@dataclass(frozen=True)
class DemoUser:
    name: str
    role: str
    tenants: str  # "all" or comma-separated ids
    password: str


# Fixed so the README can print them; for the sample company only.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "admin", "all", "Orbit-Falcon-42"),
    DemoUser("analyst", "analyst", "all", "Quartz-Harbor-17"),
    DemoUser("executive", "executive", "all", "Maple-Summit-88"),
    DemoUser("exec-ten-001", "executive", "TEN-001", "Copper-River-63"),
)



def _read(path: Path) -> dict[str, UserRecord]:
    try:
        return read_users(path)
    except UsersFileError as exc:
        fail(str(exc))


def _write(path: Path, users: dict[str, UserRecord]) -> None:
    try:
        write_users(path, users)
    except OSError as exc:
        fail(f"cannot write the users file {path}: {exc.strerror or exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--file", "users_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Users file [default: $OPSINTEL_USERS or data/users.toml].")
@click.pass_context
def users(ctx: click.Context, users_file: Path | None) -> None:
    """Dashboard users: who may sign in, with which role and which tenants."""
    ctx.obj = users_file or settings.users_path()


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may open.")
@click.option("--tenants", required=True, help='Comma-separated tenant ids, or "all".')
@click.option("--email", default=None, help="E-mail of the user's single-sign-on account.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--no-password", is_flag=True, help="Single sign-on only (needs --email).")
@click.option("--replace", is_flag=True, help="Replace an existing user of that name.")
@click.pass_obj
def add(path: Path, name: str, role: str, tenants: str, email: str | None, password_stdin: bool,
        no_password: bool, replace: bool) -> None:
    """Add user NAME (prompts for the password twice unless --password-stdin)."""
    if not USER_NAME.match(name):
        fail(f"user name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-'", EXIT_USAGE)
    try:
        scope = parse_tenants(tenants)
    except ValueError as exc:
        fail(f"--tenants {tenants!r}: {exc}", EXIT_USAGE)
    if no_password and not email:
        fail("--no-password needs --email (the user signs in through single sign-on)", EXIT_USAGE)
    existing = _read(path)
    if name in existing and not replace:
        fail(f"user {name!r} already exists in {path} (use --replace to change it)", EXIT_USAGE)
    if email and any(u.email and u.email.casefold() == email.casefold() and u.name != name
                     for u in existing.values()):
        fail(f"--email {email!r} already belongs to another user", EXIT_USAGE)
    password_hash = None
    if not no_password:
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        try:
            check_password_strength(password, name)
        except WeakPassword as exc:
            fail(f"refused: {exc}", EXIT_USAGE)
        password_hash = hash_password(password)
    existing[name] = UserRecord(name, role, scope, email, password_hash)  # type: ignore[arg-type]
    _write(path, existing)
    click.echo(f"{'Replaced' if replace else 'Added'} {name} ({role}, tenants: "
               f"{existing[name].scope}) in {path}")


@users.command("list")
@click.pass_obj
def list_users(path: Path) -> None:
    """List users, their role, tenants and sign-in methods (never the hashes)."""
    records = _read(path)
    if not records:
        click.echo(f"No users in {path}: add one with `opsintel users add` or `opsintel users demo`.")
        return
    rows = [("user", "role", "tenants", "email", "password")]
    rows += [(u.name, u.role, u.scope, u.email or "-", "yes" if u.password_hash else "no")
             for u in sorted(records.values(), key=lambda u: u.name)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())


@users.command("remove")
@click.argument("name")
@click.pass_obj
def remove(path: Path, name: str) -> None:
    """Remove user NAME (their open dashboard sessions end on the next page load)."""
    records = _read(path)
    if name not in records:
        fail(f"no user {name!r} in {path}")
    del records[name]
    _write(path, records)
    click.echo(f"Removed {name} from {path}")


@users.command("demo")
@click.pass_obj
def demo(path: Path) -> None:
    """Write the sample company's demo users (only into a file with no users)."""
    records = _read(path)
    if records:
        click.echo(f"{path} already has {len(records)} users; demo users not written.")
        return
    for user in DEMO_USERS:
        records[user.name] = UserRecord(user.name, user.role, parse_tenants(user.tenants),  # type: ignore[arg-type]
                                        None, hash_password(user.password))
    _write(path, records)
    click.echo(f"Wrote {len(DEMO_USERS)} demo users to {path}:")
    for user in DEMO_USERS:
        click.echo(f"  {user.name:<13} {user.role:<10} tenants {user.tenants:<8} password {user.password}")


@users.command("unlock")
@click.argument("name", required=False)
@click.option("--client", "address", default=None,
              help="Lift the lockout of a client address instead (as the sign-in log shows it).")
@click.pass_obj
def unlock(path: Path, name: str | None, address: str | None) -> None:
    """Forget the failed sign-ins of user NAME (or of a client address), lifting its lockout."""
    if (name is None) == (address is None):
        fail("give a user NAME or --client ADDRESS (one of them)", EXIT_USAGE)
    kind: Kind = "user" if name is not None else "client"
    key = user_key(name) if name is not None else parse_client_key(str(address))
    if key is None:
        fail(f"--client {address!r} is not an IP address (or {LOCAL_CLIENT!r})", EXIT_USAGE)
    store = store_path_for(path)
    try:
        cleared = AttemptStore(store).clear(kind, key)
        SignInLog(default_log_path()).write(time.time(), "unlock", "unlocked", name or "",
                                            key if kind == "client" else "", by="opsintel users unlock")
    except SignInStoreError as exc:
        fail(str(exc))
    click.echo(f"Unlocked {kind} {name or key}: {cleared} failed sign-ins forgotten ({store}).")
