"""``serve``: starts the servers in their own process groups and stops all of them."""

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from foundation.settings import REPO_ROOT
from opsintel import launcher


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_busy_port_is_reported_without_starting_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert launcher.serve(dagster_port=port, streamlit_port=free_port()) == 1
    assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err


def test_a_server_dying_while_starting_shows_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dying = launcher._Server(
        name="dagster",
        command=[sys.executable, "-c", "import sys; print('cannot load definitions'); sys.exit(3)"],
        health_url=f"http://127.0.0.1:{free_port()}/server_info",
        url="http://127.0.0.1:1",
        log_path=tmp_path / "dagster.log",
    )
    monkeypatch.setattr(launcher, "_servers", lambda *args: [dying])

    assert launcher.serve(ready_timeout_s=30) == 1

    err = capsys.readouterr().err
    assert "dagster exited with code 3 while starting" in err
    assert "cannot load definitions" in err


@pytest.mark.slow
def test_serve_starts_dagster_and_streamlit_and_stops_both_on_ctrl_c(
    tmp_path: Path, dagster_home: Path
) -> None:
    app = tmp_path / "app.py"
    app.write_text("import streamlit as st\nst.write('opsintel')\n")
    dagster_port, streamlit_port = free_port(), free_port()
    code = (
        "from pathlib import Path\n"
        "import opsintel.launcher as launcher\n"
        f"launcher.DASHBOARD_APP = Path({str(app)!r})\n"
        f"raise SystemExit(launcher.serve(dagster_port={dagster_port}, "
        f"streamlit_port={streamlit_port}, log_dir=Path({str(tmp_path / 'logs')!r})))\n"
    )
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "OPSINTEL_LANDING": str(tmp_path / "landing"),  # missing: the sensor only skips
        "OPSINTEL_WAREHOUSE": str(tmp_path / "warehouse" / "opsintel.duckdb"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    output: list[str] = []
    groups: list[int] = []
    try:
        deadline = time.monotonic() + 180
        while not any("press Ctrl-C" in line for line in output):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(output)
            try:
                output.append(lines.get(timeout=1))
            except queue.Empty:
                continue
            groups += [int(pid) for pid in re.findall(r"\(pid (\d+),", output[-1])]
        assert len(groups) == 2
        for url in (
            f"http://127.0.0.1:{dagster_port}/server_info",
            f"http://127.0.0.1:{streamlit_port}/_stcore/health",
        ):
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200

        proc.send_signal(signal.SIGINT)

        assert proc.wait(timeout=60) == 0
        assert not [pgid for pgid in groups if group_alive(pgid)]
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=60)
        for pgid in groups:
            if group_alive(pgid):
                os.killpg(pgid, signal.SIGKILL)


def test_serve_keeps_its_logs_in_the_configured_logs_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPSINTEL_LOGS", str(tmp_path / "elsewhere"))
    folders: list[Path] = []

    def servers(dagster_port: int, streamlit_port: int, host: str, log_dir: Path) -> list[launcher._Server]:
        folders.append(log_dir)
        return [launcher._Server(name="dagster", command=[sys.executable, "-c", "raise SystemExit(3)"],
                                 health_url=f"http://127.0.0.1:{free_port()}/server_info",
                                 url="http://127.0.0.1:1", log_path=log_dir / "dagster.log")]

    monkeypatch.setattr(launcher, "_servers", servers)
    assert launcher.serve(ready_timeout_s=30) == 1
    assert folders == [tmp_path / "elsewhere"]
    assert (tmp_path / "elsewhere" / "dagster.log").exists()
    capsys.readouterr()
