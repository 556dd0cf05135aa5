"""Run the Dagster UI and the dashboards together until Ctrl-C (``opsintel serve``).

``dagster dev`` started in the background of a non-interactive shell ignores SIGINT and
SIGTERM, and killing it leaves its webserver and daemon running. So each server runs in its
own session with default signal handling, and stopping means signalling its whole process
group. Each server's output goes to a log file under ``data/logs/``; if one dies while
starting, the error shows the end of its log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from foundation.settings import REPO_ROOT, logs_path

DAGSTER_HOME = REPO_ROOT / ".dagster_home"
DASHBOARD_APP = REPO_ROOT / "dashboards" / "app.py"
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 20.0
LOG_TAIL_LINES = 30


class LaunchError(RuntimeError):
    """A server could not be started; the message says which and why."""


@dataclass
class _Server:
    name: str
    command: list[str]
    health_url: str
    url: str
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:  # one log per start: the tail is this run
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def exited(self) -> int | None:
        return self.process.poll() if self.process else None

    def log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-LOG_TAIL_LINES:])

    def stop(self) -> None:
        """SIGTERM the whole process group, then SIGKILL whatever is left after a grace period."""
        if self.process is None:
            return
        for sig, wait_s in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            if _group_gone(self.process, wait_s):
                break
        if self.process.poll() is None:
            self.process.wait(timeout=5)


def _group_gone(process: subprocess.Popen, timeout_s: float) -> bool:
    """Wait for the group leader to exit and every other member of its group to go."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        process.poll()
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def _servers(dagster_port: int, streamlit_port: int, host: str, log_dir: Path) -> list[_Server]:
    servers = [
        _Server(
            name="dagster",
            command=[
                sys.executable,
                "-m",
                "dagster",
                "dev",
                "-m",
                "orchestration.definitions",
                "-h",
                host,
                "-p",
                str(dagster_port),
            ],
            health_url=f"http://{host}:{dagster_port}/server_info",
            url=f"http://{host}:{dagster_port}",
            log_path=log_dir / "dagster.log",
        )
    ]
    if DASHBOARD_APP.exists():
        servers.append(
            _Server(
                name="streamlit",
                command=[
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    str(DASHBOARD_APP),
                    "--server.address",
                    host,
                    "--server.port",
                    str(streamlit_port),
                    "--server.headless",
                    "true",
                    "--browser.gatherUsageStats",
                    "false",
                ],
                health_url=f"http://{host}:{streamlit_port}/_stcore/health",
                url=f"http://{host}:{streamlit_port}",
                log_path=log_dir / "streamlit.log",
            )
        )
    return servers


def _wait_until_ready(server: _Server, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not server.is_ready():
        code = server.exited()
        if code is not None:
            raise LaunchError(
                f"{server.name} exited with code {code} while starting; "
                f"end of {server.log_path}:\n{server.log_tail()}"
            )
        if time.monotonic() > deadline:
            raise LaunchError(
                f"{server.name} not ready after {timeout_s:.0f} s at {server.health_url}; "
                f"end of {server.log_path}:\n{server.log_tail()}"
            )
        time.sleep(0.5)


class _Stop(Exception):
    """Raised from the signal handler to leave the wait loop."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def serve(
    *,
    dagster_port: int = 3000,
    streamlit_port: int = 8501,
    host: str = "127.0.0.1",
    log_dir: Path | None = None,
    ready_timeout_s: float = READY_TIMEOUT_S,
) -> int:
    """Start the servers, print their URLs and run until Ctrl-C or SIGTERM. Returns an exit code."""
    servers = _servers(dagster_port, streamlit_port, host, log_dir or logs_path())
    for server in servers:
        port = int(server.url.rsplit(":", 1)[1])
        if _port_in_use(host, port):
            print(
                f"error: port {port} on {host} is already in use ({server.name}); "
                f"stop what runs there or choose another port",
                file=sys.stderr,
            )
            return 1
    env = dict(os.environ)
    env.setdefault("DAGSTER_HOME", str(DAGSTER_HOME))
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)

    # Installed before the servers start: an ignored signal would be inherited across exec (a
    # background shell ignores SIGINT), a handled one is reset to the default in the child.
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for server in servers:
            server.start(env)
            print(
                f"starting {server.name} (pid {server.process.pid}, log: {server.log_path})",
                flush=True,
            )
        for server in servers:
            _wait_until_ready(server, ready_timeout_s)
        for server in servers:
            print(f"{server.name} ready: {server.url}", flush=True)
        print("press Ctrl-C to stop", flush=True)
        while True:
            for server in servers:
                code = server.exited()
                if code is not None:
                    raise LaunchError(
                        f"{server.name} stopped with code {code}; end of {server.log_path}:\n"
                        f"{server.log_tail()}"
                    )
            time.sleep(1)
    except _Stop:
        print("stopping...", flush=True)
        return 0
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        # A second Ctrl-C must not interrupt the clean-up and leave servers behind.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        for server in servers:
            server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    raise SystemExit(serve())
