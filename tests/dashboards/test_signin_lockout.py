"""Sign-in lockouts shared by every app process, surviving restarts, per user name and per client.

Each "process" here is a real Python process (``python -c DRIVER``) that builds the app's
``Authenticator`` for one users file, makes the sign-in attempts it is given at a given
wall-clock time and prints their results as JSON. The processes share nothing but the files
beside the users file and the logs folder.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dashboards.auth import WRONG_CREDENTIALS, UserRecord, hash_password, write_users
from foundation.settings import REPO_ROOT
from opsintel.commands.users import users as users_cli

FAST = {"n": 2**4, "r": 1, "p": 1}
ANA_PASSWORD, BO_PASSWORD = "Tidal-Basin-31", "Cedar-Ridge-77"
WRONG = [f"Wrong-Guess-{i:02d}" for i in range(10)]
SPRAY = "Spray-Password-1"
LOCKED = "Too many failed sign-ins: try again in {} s."

# Builds the Authenticator the way the app does (defaults for every limit) with the clock at
# the time it is told; prints one result per attempt, or the error an attempt raised.
DRIVER = r"""
import json, sys
from pathlib import Path
from dashboards.auth import Authenticator

spec = json.loads(sys.argv[1])
auth = Authenticator(Path(spec["users"]), clock=lambda: spec["now"])
results = []
for attempt in spec["attempts"]:
    client = {"client": attempt["client"]} if attempt.get("client") else {}
    try:
        result = auth.authenticate(attempt["user"], attempt["password"], **client)
        results.append({"ok": result.ok, "message": result.message})
    except Exception as exc:
        results.append({"ok": False, "error": type(exc).__name__, "message": str(exc)})
print(json.dumps(results))
"""


@pytest.fixture
def users_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "data" / "users.toml"
    write_users(path, {
        "ana": UserRecord("ana", "analyst", None, None, hash_password(ANA_PASSWORD, **FAST)),
        "bo": UserRecord("bo", "admin", None, None, hash_password(BO_PASSWORD, **FAST)),
    })
    monkeypatch.setenv("OPSINTEL_LOGS", str(tmp_path / "logs"))
    return path


@pytest.fixture
def t0() -> float:
    return float(int(time.time()))


def _attempt(user: str, password: str, client: str | None = None) -> dict[str, Any]:
    return {"user": user, "password": password, "client": client}


def _spawn(users: Path, now: float, attempts: list[dict[str, Any]]) -> subprocess.Popen[str]:
    spec = json.dumps({"users": str(users), "now": now, "attempts": attempts})
    return subprocess.Popen([sys.executable, "-c", DRIVER, spec], cwd=REPO_ROOT, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _results(process: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out)


def run_process(users: Path, now: float, attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One app process making ``attempts`` at wall-clock time ``now``, then exiting."""
    return _results(_spawn(users, now, attempts))


def messages(results: list[dict[str, Any]]) -> list[str]:
    return [r["message"] for r in results]


def log_lines(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "logs" / "signin.log").read_text().splitlines()]


def test_a_lockout_holds_in_other_processes_and_after_a_restart(users_file, t0):
    # Process A: five wrong passwords lock "ana".
    first = run_process(users_file, t0, [_attempt("ana", WRONG[i]) for i in range(5)])
    assert messages(first) == [WRONG_CREDENTIALS] * 5
    # Process B, running beside A: the right password is refused while the lock lasts.
    second = run_process(users_file, t0 + 1, [_attempt("ana", ANA_PASSWORD), _attempt("bo", BO_PASSWORD)])
    assert messages(second)[0] == LOCKED.format(59)
    assert [r["ok"] for r in second] == [False, True]  # another user is not affected
    # A new process after a restart, 30 s on: still locked, for the rest of the minute.
    after_restart = run_process(users_file, t0 + 30, [_attempt("ana", ANA_PASSWORD)])
    assert messages(after_restart) == [LOCKED.format(30)]
    # Once the minute is over, the right password signs in.
    later = run_process(users_file, t0 + 61, [_attempt("ana", ANA_PASSWORD)])
    assert later == [{"ok": True, "message": "Signed in as ana."}]


def test_parallel_processes_cannot_overrun_the_limit(users_file, t0):
    # Two processes guess at once: between them, exactly five guesses are checked.
    running = [_spawn(users_file, t0, [_attempt("ana", WRONG[i]) for i in range(5)]) for _ in range(2)]
    results = [r for process in running for r in _results(process)]
    assert sorted(messages(results)) == sorted([WRONG_CREDENTIALS] * 5 + [LOCKED.format(60)] * 5)


SPRAY_NAMES = ["ana", "bo"] + [f"guest{i:02d}" for i in range(28)]


def test_one_password_against_30_names_is_limited_without_a_known_client(users_file, t0):
    # No address known (localhost, a test harness): all such attempts count as one client.
    results = run_process(users_file, t0, [_attempt(name, SPRAY) for name in SPRAY_NAMES])
    assert len(SPRAY_NAMES) == len(set(SPRAY_NAMES)) == 30
    assert messages(results) == [WRONG_CREDENTIALS] * 20 + [LOCKED.format(60)] * 10


def test_one_password_against_30_names_locks_that_client_only(users_file, t0):
    sprayer, other = "203.0.113.7", "198.51.100.9"
    results = run_process(users_file, t0, [_attempt(name, SPRAY, sprayer) for name in SPRAY_NAMES])
    assert messages(results) == [WRONG_CREDENTIALS] * 20 + [LOCKED.format(60)] * 10
    later = run_process(users_file, t0 + 10, [
        _attempt("ana", ANA_PASSWORD, sprayer),  # the right password, from the locked client
        _attempt("ana", ANA_PASSWORD, other),  # each name had one failure only: not locked
        _attempt("guest05", SPRAY, other),
    ])
    assert messages(later) == [LOCKED.format(50), "Signed in as ana.", WRONG_CREDENTIALS]


def test_signing_in_to_an_own_account_does_not_reset_a_client_count(users_file, t0):
    client = "203.0.113.7"
    spray = [_attempt(f"guest{i:02d}", SPRAY, client) for i in range(19)]
    results = run_process(users_file, t0, [*spray, _attempt("bo", BO_PASSWORD, client),
                                           _attempt("guest19", SPRAY, client),
                                           _attempt("guest20", SPRAY, client)])
    assert messages(results) == [WRONG_CREDENTIALS] * 19 + ["Signed in as bo.", WRONG_CREDENTIALS,
                                                             LOCKED.format(60)]


def test_every_attempt_is_logged_without_its_password(users_file, tmp_path, t0):
    attempts = [_attempt("ana", WRONG[i]) for i in range(5)]
    attempts += [_attempt("ana", ANA_PASSWORD), _attempt("bo", BO_PASSWORD, "203.0.113.7"),
                 _attempt("nobody", SPRAY)]
    run_process(users_file, t0, attempts)
    run_process(users_file, t0 + 61, [_attempt("ana", ANA_PASSWORD, "2001:db8::5")])
    lines = log_lines(tmp_path)
    assert len(lines) == len(attempts) + 1
    assert [(line["user"], line["outcome"]) for line in lines] == [
        *[("ana", "failed")] * 4, ("ana", "lockout"), ("ana", "refused"), ("bo", "signed-in"),
        ("nobody", "failed"), ("ana", "signed-in")]
    stamp = datetime.fromtimestamp(t0, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    later = datetime.fromtimestamp(t0 + 61, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert [line["time"] for line in lines] == [stamp] * len(attempts) + [later]
    assert [line["client"] for line in lines] == ["local"] * 6 + ["203.0.113.7", "local", "2001:db8::/64"]
    assert [line["known_user"] for line in lines] == [True] * 7 + [False, True]
    assert lines[4]["locked_by"] == ["user"] and lines[4]["locked_for_s"] == 60
    assert lines[5]["locked_by"] == ["user"] and lines[5]["locked_for_s"] == 60
    text = (tmp_path / "logs" / "signin.log").read_text()
    for secret in [ANA_PASSWORD, BO_PASSWORD, SPRAY, *WRONG[:5]]:
        assert secret not in text
    assert stat.S_IMODE((tmp_path / "logs" / "signin.log").stat().st_mode) == 0o600


def test_the_attempts_store_lies_beside_the_users_file_owner_only(users_file, t0):
    run_process(users_file, t0, [_attempt("ana", WRONG[0])])
    store = users_file.parent / "users.signin.sqlite"
    assert store.is_file() and stat.S_IMODE(store.stat().st_mode) == 0o600
    assert ANA_PASSWORD.encode() not in store.read_bytes() and WRONG[0].encode() not in store.read_bytes()


@pytest.mark.parametrize("damage", ["not a database", "a folder in its place"])
def test_a_damaged_store_refuses_sign_in_in_one_line(users_file, t0, damage):
    store = users_file.parent / "users.signin.sqlite"
    if damage == "not a database":
        store.write_bytes(b"this is not a database\n" * 200)
    else:
        store.mkdir()
    [result] = run_process(users_file, t0, [_attempt("ana", ANA_PASSWORD)])
    assert result["ok"] is False and result["error"] == "SignInStoreError"
    assert result["message"].startswith(f"{store}: the sign-in attempts store cannot be used (")
    assert "\n" not in result["message"]


def test_unlock_lifts_a_user_lockout_for_every_process(users_file, tmp_path, t0):
    run_process(users_file, t0, [_attempt("ana", WRONG[i]) for i in range(5)])
    assert messages(run_process(users_file, t0 + 1, [_attempt("ana", ANA_PASSWORD)])) == [LOCKED.format(59)]
    unlocked = CliRunner().invoke(users_cli, ["--file", str(users_file), "unlock", "ana"])
    assert unlocked.exit_code == 0, unlocked.output
    assert unlocked.output.startswith("Unlocked user ana: 5 failed sign-ins forgotten")
    assert messages(run_process(users_file, t0 + 2, [_attempt("ana", ANA_PASSWORD)])) == ["Signed in as ana."]
    assert log_lines(tmp_path)[-2]["event"] == "unlock"


def test_unlock_a_client_and_refuse_a_bad_address(users_file, t0):
    client = "203.0.113.7"
    run_process(users_file, t0, [_attempt(f"guest{i:02d}", SPRAY, client) for i in range(20)])
    unlocked = CliRunner().invoke(users_cli, ["--file", str(users_file), "unlock", "--client", client])
    assert unlocked.exit_code == 0 and "20 failed sign-ins forgotten" in unlocked.output
    assert run_process(users_file, t0 + 1, [_attempt("ana", ANA_PASSWORD, client)])[0]["ok"]
    bad = CliRunner().invoke(users_cli, ["--file", str(users_file), "unlock", "--client", "not-an-ip"])
    assert bad.exit_code == 2 and bad.output.strip() == (
        "error: --client 'not-an-ip' is not an IP address (or 'local')")
    neither = CliRunner().invoke(users_cli, ["--file", str(users_file), "unlock"])
    assert neither.exit_code == 2


# -- in one process: keys and the clock --------------------------------------------------------

@pytest.mark.parametrize("address, key", [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # one subscriber's /64 is one client
    ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    (None, "local"), ("", "local"), ("unknown", "local"), (object(), "local"),
])
def test_client_keys(address, key):
    from dashboards.signin_attempts import client_key

    assert client_key(address) == key


def test_a_clock_set_back_locks_for_one_lockout_only(users_file, t0):
    run_process(users_file, t0 + 3600, [_attempt("ana", WRONG[i]) for i in range(5)])
    # The clock is now an hour earlier than when those failures were stored.
    assert messages(run_process(users_file, t0, [_attempt("ana", ANA_PASSWORD)])) == [LOCKED.format(60)]
    assert run_process(users_file, t0 + 61, [_attempt("ana", ANA_PASSWORD)])[0]["ok"]


def test_the_sign_in_log_rotates_so_refusals_cannot_fill_the_disk(tmp_path: Path, monkeypatch) -> None:
    from dashboards import signin_attempts

    monkeypatch.setattr(signin_attempts, "MAX_LOG_BYTES", 2_000)
    log = signin_attempts.SignInLog(tmp_path / "logs" / "signin.log")
    for attempt in range(200):
        log.write(1_800_000_000.0 + attempt, "sign-in", "refused", "root", "local")
    current, older = log.path.read_text().splitlines(), log.rotated_path.read_text().splitlines()
    # Never more than the limit plus one line in either file, and only two files.
    line_bytes = len(log.path.read_bytes()) // len(current)
    assert log.path.stat().st_size < 2_000 + line_bytes and log.rotated_path.stat().st_size < 2_000 + line_bytes
    assert sorted(p.name for p in log.path.parent.iterdir()) == ["signin.log", "signin.log.1"]
    # The newest lines are kept, in order, with nothing between the two files lost or doubled.
    times = [json.loads(line)["time"] for line in older + current]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert times[-1] == datetime.fromtimestamp(1_800_000_199.0, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
