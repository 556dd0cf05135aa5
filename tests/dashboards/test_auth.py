"""Users file, password hashes, sign-in lockout and the ``users`` command line."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboards.access import Viewer
from dashboards.auth import (
    WRONG_CREDENTIALS,
    Authenticator,
    UserRecord,
    UsersFileError,
    WeakPassword,
    check_password_strength,
    hash_password,
    parse_hash,
    read_users,
    verify_password,
    write_users,
)
from opsintel.commands.users import DEMO_USERS, users

# Cheap scrypt parameters for tests that only need a valid hash.
FAST = {"n": 2**4, "r": 1, "p": 1}


@pytest.fixture(autouse=True)
def _sign_in_log_in_tmp(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPSINTEL_LOGS", str(tmp_path / "logs"))


# -- hashes --------------------------------------------------------------------------------

def test_hash_verifies_its_password_and_no_other():
    encoded = hash_password("Tidal-Basin-31", **FAST)
    assert verify_password("Tidal-Basin-31", encoded)
    assert not verify_password("Tidal-Basin-32", encoded)
    assert not verify_password("", encoded)


def test_each_hash_has_its_own_salt():
    first, second = hash_password("Tidal-Basin-31", **FAST), hash_password("Tidal-Basin-31", **FAST)
    assert first != second
    assert parse_hash(first).salt != parse_hash(second).salt
    assert verify_password("Tidal-Basin-31", first) and verify_password("Tidal-Basin-31", second)


def test_stored_hash_is_scrypt_with_its_parameters():
    # Computed independently with hashlib: the stored key is scrypt(password, salt, n, r, p).
    salt = bytes(range(16))
    key = hashlib.scrypt(b"Tidal-Basin-31", salt=salt, n=1024, r=2, p=1, dklen=32)
    encoded = f"scrypt$n=1024,r=2,p=1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    assert verify_password("Tidal-Basin-31", encoded)
    assert not verify_password("tidal-basin-31", encoded)
    default = parse_hash(hash_password("Tidal-Basin-31"))
    assert (default.n, default.r, default.p, len(default.salt), len(default.key)) == (2**14, 8, 1, 16, 32)


@pytest.mark.parametrize("encoded, problem", [
    ("md5$abc", "not of the form"),
    ("scrypt$n=1000,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "power of two"),
    ("scrypt$n=4194304,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "power of two"),
    ("scrypt$n=16,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA==", "salt needs"),
])
def test_malformed_hashes_are_refused(encoded, problem):
    with pytest.raises(ValueError, match=problem):
        parse_hash(encoded)


@pytest.mark.parametrize("password, reason", [
    ("", "empty"), ("   ", "empty"), ("Short-1", "at least 10"), ("password123", "easy"),
    ("aaaaaaaaaaaa", "easy"), ("my-dana-password", "user name"),
])
def test_weak_passwords_are_refused(password, reason):
    with pytest.raises(WeakPassword, match=reason):
        check_password_strength(password, "Dana")


# -- users file ----------------------------------------------------------------------------

def _write_text(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "users.toml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD_HASH = hash_password("Tidal-Basin-31", **FAST)


def test_file_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "sub" / "users.toml"
    records = {
        "ana": UserRecord("ana", "analyst", ("TEN-002", "TEN-001"), "ana@example.com", GOOD_HASH),
        "bo": UserRecord("bo", "admin", None, None, GOOD_HASH),
        "sso.only": UserRecord("sso.only", "executive", ("TEN-003",), "c@example.com", None),
    }
    write_users(path, records)
    loaded = read_users(path)
    assert set(loaded) == {"ana", "bo", "sso.only"}
    assert loaded["ana"] == UserRecord("ana", "analyst", ("TEN-001", "TEN-002"), "ana@example.com", GOOD_HASH)
    assert loaded["bo"].viewer() == Viewer("bo", "admin", None)
    assert loaded["ana"].viewer() == Viewer("ana", "analyst", frozenset({"TEN-001", "TEN-002"}))
    assert loaded["sso.only"].password_hash is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["users.toml"]  # no temporary file left


def test_missing_file_means_no_users(tmp_path):
    assert read_users(tmp_path / "absent.toml") == {}


@pytest.mark.parametrize("entry, field, problem", [
    ('role = "owner"\ntenants = "all"', "role", "'owner' is not one of"),
    ('role = "admin"', "tenants", "missing"),
    ('role = "admin"\ntenants = []', "tenants", "non-empty list"),
    ('role = "admin"\ntenants = 5', "tenants", "non-empty list"),
    ('role = "admin"\ntenants = ["TEN 1"]', "tenants", "'TEN 1' is not a tenant id"),
    ('role = "admin"\ntenants = ["TEN-1", "TEN-1"]', "tenants", "twice"),
    ('role = "admin"\ntenants = "all"\npassword_hash = "scrypt$n=3"', "password_hash", "malformed hash"),
    ('role = "admin"\ntenants = "all"', "password_hash", "missing"),
    ('role = "admin"\ntenants = "all"\nemail = "nobody"', "email", "not an e-mail"),
    ('role = "admin"\ntenant = "all"', "tenant", "unknown field"),
])
def test_bad_entries_name_file_user_and_field(tmp_path, entry, field, problem):
    path = _write_text(tmp_path, f'[users."dana"]\n{entry}\n')
    with pytest.raises(UsersFileError) as caught:
        read_users(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: user 'dana', field '{field}': ")
    assert problem in message
    assert "\n" not in message


def test_duplicate_email_and_bad_toml_are_one_line_errors(tmp_path):
    path = _write_text(tmp_path, (
        '[users.a]\nrole = "admin"\ntenants = "all"\nemail = "X@example.com"\n'
        '[users.b]\nrole = "admin"\ntenants = "all"\nemail = "x@example.com"\n'))
    with pytest.raises(UsersFileError, match=r"user 'b', field 'email': .* already the email of user 'a'"):
        read_users(path)
    _write_text(tmp_path, '[users.a\nrole = "admin"\n')
    with pytest.raises(UsersFileError, match=r"users.toml: not valid TOML: .*line 1"):
        read_users(path)


# -- signing in ----------------------------------------------------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def authenticator(tmp_path) -> Authenticator:
    path = tmp_path / "users.toml"
    write_users(path, {
        "ana": UserRecord("ana", "analyst", ("TEN-001",), "ana@example.com", hash_password("Tidal-Basin-31", **FAST)),
        "bo": UserRecord("bo", "admin", None, None, hash_password("Cedar-Ridge-77", **FAST)),
    })
    return Authenticator(path, max_failures=3, window_s=300, lockout_s=60, clock=FakeClock())


def test_right_password_signs_in_and_wrong_ones_get_one_message(authenticator):
    result = authenticator.authenticate("ana", "Tidal-Basin-31")
    assert result.ok and result.viewer == Viewer("ana", "analyst", frozenset({"TEN-001"}))
    wrong_password = authenticator.authenticate("ana", "Cedar-Ridge-77")
    unknown_user = authenticator.authenticate("nobody", "Cedar-Ridge-77")
    assert not wrong_password.ok and not unknown_user.ok
    assert wrong_password.message == unknown_user.message == WRONG_CREDENTIALS


def test_repeated_failures_lock_the_name_out_for_a_while(authenticator):
    clock = authenticator.clock
    for _ in range(3):
        assert authenticator.authenticate("ana", "wrong-password-1").message == WRONG_CREDENTIALS
    locked = authenticator.authenticate("ana", "Tidal-Basin-31")  # right password, still locked
    assert not locked.ok and "try again in 60 s" in locked.message
    assert authenticator.authenticate("bo", "Cedar-Ridge-77").ok  # other users unaffected
    clock.now += 61
    assert authenticator.authenticate("ana", "Tidal-Basin-31").ok
    # success clears the count: two new failures do not lock
    authenticator.authenticate("ana", "x"), authenticator.authenticate("ana", "y")
    assert authenticator.authenticate("ana", "Tidal-Basin-31").ok


def test_unknown_names_lock_out_the_same_way(authenticator):
    for _ in range(3):
        authenticator.authenticate("ghost", "whatever-123")
    assert "try again" in authenticator.authenticate("ghost", "whatever-123").message


def test_failures_outside_the_window_do_not_count(authenticator):
    for _ in range(2):
        authenticator.authenticate("ana", "wrong-password-1")
    authenticator.clock.now += 301
    authenticator.authenticate("ana", "wrong-password-1")
    assert authenticator.authenticate("ana", "Tidal-Basin-31").ok


def test_signed_in_viewer_follows_the_file(authenticator):
    assert authenticator.current_viewer("ana") == Viewer("ana", "analyst", frozenset({"TEN-001"}))
    assert authenticator.viewer_for_email("ANA@example.com") == Viewer("ana", "analyst", frozenset({"TEN-001"}))
    assert authenticator.viewer_for_email("other@example.com") is None
    records = read_users(authenticator.users_path)
    records["ana"] = UserRecord("ana", "executive", ("TEN-002",), None, records["ana"].password_hash)
    del records["bo"]
    write_users(authenticator.users_path, records)
    assert authenticator.current_viewer("ana") == Viewer("ana", "executive", frozenset({"TEN-002"}))
    assert authenticator.current_viewer("bo") is None


# -- command line --------------------------------------------------------------------------

def _cli(path: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(users, ["--file", str(path), *args], input=input)


def test_cli_add_list_remove(tmp_path):
    path = tmp_path / "users.toml"
    added = _cli(path, "add", "dana", "--role", "executive", "--tenants", "TEN-002,TEN-001",
                 "--email", "dana@example.com", "--password-stdin", input="Tidal-Basin-31\n")
    assert added.exit_code == 0, added.output
    record = read_users(path)["dana"]
    assert (record.role, record.tenants, record.email) == ("executive", ("TEN-001", "TEN-002"), "dana@example.com")
    assert verify_password("Tidal-Basin-31", record.password_hash)

    prompted = _cli(path, "add", "eli", "--role", "admin", "--tenants", "all",
                    input="Cedar-Ridge-77\nCedar-Ridge-77\n")
    assert prompted.exit_code == 0, prompted.output
    assert verify_password("Cedar-Ridge-77", read_users(path)["eli"].password_hash)

    listed = _cli(path, "list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == ["user", "role", "tenants", "email", "password"]
    assert lines[1].split() == ["dana", "executive", "TEN-001,", "TEN-002", "dana@example.com", "yes"]
    assert lines[2].split() == ["eli", "admin", "all", "-", "yes"]
    assert "scrypt" not in listed.output

    removed = _cli(path, "remove", "dana")
    assert removed.exit_code == 0 and set(read_users(path)) == {"eli"}
    assert _cli(path, "remove", "dana").exit_code == 1


def test_cli_refuses_duplicates_weak_passwords_and_bad_values(tmp_path):
    path = tmp_path / "users.toml"
    assert _cli(path, "add", "dana", "--role", "admin", "--tenants", "all", "--password-stdin",
                input="Tidal-Basin-31\n").exit_code == 0
    before = path.read_bytes()
    duplicate = _cli(path, "add", "dana", "--role", "analyst", "--tenants", "all", "--password-stdin",
                     input="Cedar-Ridge-77\n")
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output
    weak = _cli(path, "add", "eli", "--role", "admin", "--tenants", "all", "--password-stdin", input="short\n")
    assert weak.exit_code == 2 and "at least 10" in weak.output
    empty = _cli(path, "add", "eli", "--role", "admin", "--tenants", "all", "--password-stdin", input="\n")
    assert empty.exit_code == 2 and "empty" in empty.output
    mismatch = _cli(path, "add", "eli", "--role", "admin", "--tenants", "all",
                    input="Cedar-Ridge-77\nCedar-Ridge-78\n")
    assert mismatch.exit_code != 0
    bad_tenants = _cli(path, "add", "eli", "--role", "admin", "--tenants", "TEN 1", "--password-stdin",
                       input="Cedar-Ridge-77\n")
    assert bad_tenants.exit_code == 2 and "not a tenant id" in bad_tenants.output
    bad_role = _cli(path, "add", "eli", "--role", "owner", "--tenants", "all", "--password-stdin",
                    input="Cedar-Ridge-77\n")
    assert bad_role.exit_code == 2
    assert path.read_bytes() == before  # nothing refused was written

    replaced = _cli(path, "add", "dana", "--role", "analyst", "--tenants", "TEN-003", "--replace",
                    "--password-stdin", input="Cedar-Ridge-77\n")
    assert replaced.exit_code == 0
    record = read_users(path)["dana"]
    assert (record.role, record.tenants) == ("analyst", ("TEN-003",))
    assert verify_password("Cedar-Ridge-77", record.password_hash)


def test_cli_demo_writes_the_documented_users_once(tmp_path):
    path = tmp_path / "users.toml"
    result = _cli(path, "demo")
    assert result.exit_code == 0, result.output
    records = read_users(path)
    assert set(records) == {"admin", "analyst", "executive", "exec-ten-001"}
    for demo in DEMO_USERS:
        assert verify_password(demo.password, records[demo.name].password_hash)
        check_password_strength(demo.password, demo.name)  # the demo obeys the same rules
    assert records["exec-ten-001"].viewer() == Viewer("exec-ten-001", "executive", frozenset({"TEN-001"}))
    assert records["admin"].viewer() == Viewer("admin", "admin", None)
    before = path.read_bytes()
    again = _cli(path, "demo")
    assert again.exit_code == 0 and "not written" in again.output and path.read_bytes() == before


def test_cli_reports_a_bad_file_in_one_line(tmp_path):
    path = _write_text(tmp_path, '[users.dana]\nrole = "owner"\ntenants = "all"\n')
    result = _cli(path, "list")
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {path}: user 'dana', field 'role': 'owner' is not one of executive, analyst, admin"


def test_readme_lists_the_demo_sign_ins_the_demo_command_writes() -> None:
    import re

    from foundation.settings import REPO_ROOT
    from opsintel.commands.users import DEMO_USERS

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([\w-]+)` \| `([\w-]+)` \| (\w+) \|", readme, flags=re.MULTILINE))
    assert rows == {(u.name, u.password, u.role) for u in DEMO_USERS}
