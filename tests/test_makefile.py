"""The two commands of the README, as a newcomer meets them.

`make test` makes sure the Chromium the browser tests drive is there, or says how to install it and stops.

`make run` serves web, Celery worker and beat together and one Ctrl-C (or a SIGTERM to make) stops them all:
each process is asked once, none crashes, none is left behind. The test starts `make serve` (the last step
of `make run`: the Procfile under honcho) on SQLite in a temporary folder and on a free port, waits until the
web answers and the worker is ready, signals it as a terminal or a service manager would, and follows every
process it started until it has gone."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STARTED_WITHIN = 90  # seconds: three Django processes start on a busy machine
STOPPED_WITHIN = 12  # seconds: honcho gives each process 5 s to stop, after the first has stopped


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    """The embedded defaults `make run` uses (SQLite, file-system broker), on a database of the test's own."""
    folder = tmp_path_factory.mktemp("make-run")
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DEBUG", "PORT"}}
    env["DATABASE_URL"] = f"sqlite:///{folder / 'careleavers.sqlite3'}"
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env={**env, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert migrated.returncode == 0, migrated.stderr
    return env, folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parent_of(pid: int) -> int | None:
    """The parent process id, from /proc; None once the process has gone (or is a zombie, which has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state, parent = stat.rsplit(")", 1)[1].split()[:2]
    return None if state == "Z" else int(parent)


def descendants(root: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (parent := parent_of(int(entry.name))) is not None:
            parents[int(entry.name)] = parent
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_one_signal_stops_web_worker_and_beat_together(environment, stop):
    env, folder = environment
    port = free_port()
    log = folder / f"serve-{stop}.log"
    with log.open("wb") as output:
        # A session of its own, as a terminal gives a command: Ctrl-C signals that whole foreground group.
        make = subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTED_WITHIN
        while not (answers(f"http://127.0.0.1:{port}/health/") and " ready." in log.read_text()):
            assert make.poll() is None, f"make serve ended early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"not serving after {STARTED_WITHIN} s:\n{log.read_text()}"
            time.sleep(0.5)
        processes = descendants(make.pid) | {make.pid}
        commands = {Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in processes}
        for expected in ("honcho start", "runserver", "careleavers worker", "careleavers beat"):
            assert any(expected in command for command in commands), (expected, commands)

        if stop == "ctrl-c":
            os.killpg(make.pid, signal.SIGINT)
        else:
            os.kill(make.pid, signal.SIGTERM)

        deadline = time.monotonic() + STOPPED_WITHIN
        while (left := {pid for pid in processes if parent_of(pid) is not None}) and time.monotonic() < deadline:
            time.sleep(0.2)
        make.wait(timeout=5)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
    output = log.read_text()
    assert left == set(), f"still running after {STOPPED_WITHIN} s: {left}\n{output}"
    assert output.count("Warm shutdown") == 1, output  # the worker was asked once, not in a loop
    for name in ("web", "worker", "beat"):
        assert output.count(f"sending SIGTERM to {name}.1") == 1, output
        assert f"{name}.1 stopped" in output, output
    # Web and beat stop on their own. The worker's warm shutdown on the file-system broker can outlast
    # honcho's 5 s (decision 0043), so honcho may then kill it, once it has begun: never another process.
    killed = [line for line in output.splitlines() if "sending SIGKILL" in line]
    assert all("worker.1" in line for line in killed), output
    assert len(killed) <= 1, output
    assert output.index("Warm shutdown") < output.index("sending SIGKILL") if killed else True, output
    for trouble in ("Traceback", "RecursionError", "Segmentation fault", "exited with 'signal"):
        assert trouble not in output, output


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_without_chromium_make_test_names_the_command_to_install_it_and_stops(tmp_path):
    missing = tmp_path / "chromium"  # not Debian's path, so make does not try apt-get
    result = make("chromium", f"CHROMIUM_PATH={missing}")
    assert result.returncode != 0
    assert f"The browser tests need Chromium at {missing}" in result.stderr
    assert "sudo apt-get install -y chromium" in result.stderr


def test_with_chromium_there_make_test_goes_straight_on(tmp_path):
    present = tmp_path / "chromium"
    present.write_text("#!/bin/sh\n")
    present.chmod(0o755)
    result = make("chromium", f"CHROMIUM_PATH={present}")
    assert result.returncode == 0, result.stderr
    assert "apt-get" not in result.stdout + result.stderr
