"""`make demo` as a newcomer meets it (issue 15), run on free ports in a temporary
instance folder: «prête» only once every address answers, the addresses and each
demo parent's facts printed without noise, the mock FranceConnect's address a page,
SIGTERM stops every process it started, and the next start begins from fresh data
on the same ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from demo import runner

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 300  # seconds: seven `guichet` commands and five servers on 2 busy cores


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


class Demo:
    """`python -m demo.runner` in a subprocess, its printout collected line by line."""

    def __init__(self, instance: Path, ports: list[int]):
        guichet, livret, inscription, franceconnect = ports
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env["INSTANCE_PATH"] = str(instance)
        argv = [sys.executable, "-m", "demo.runner", "--port", str(guichet)]
        argv += ["--livret-port", str(livret), "--inscription-port", str(inscription)]
        argv += ["--franceconnect-port", str(franceconnect)]
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while "prête" not in self.output:
            assert self.process.poll() is None, self.output
            assert time.monotonic() < deadline, self.output
            time.sleep(0.5)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self.reader.join(timeout=5)
        return code


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def demo_ports():
    return _free_ports(4)


def test_make_demo_prints_what_a_newcomer_needs_and_stops_everything(tmp_path, demo_ports):
    guichet, livret, inscription, franceconnect = demo_ports
    first = Demo(tmp_path, demo_ports)
    try:
        first.wait_ready()
        # «prête» means every address answers, the mock FranceConnect's with a page.
        for port in demo_ports:
            assert _listening(port), first.output
        assert requests.get(f"http://127.0.0.1:{franceconnect}/", timeout=30).status_code == 200
        outbox = requests.get(f"http://127.0.0.1:{guichet}/dev/outbox", timeout=30)
        assert outbox.status_code == 200
        for url in (f"http://127.0.0.1:{livret}/", f"http://127.0.0.1:{inscription}/"):
            assert "Se connecter avec Guichet" in requests.get(url, timeout=30).text
        printed = first.output
        for address in (
            f"http://127.0.0.1:{guichet}/admin/",
            f"http://127.0.0.1:{guichet}/dev/outbox",
            f"http://127.0.0.1:{franceconnect}/",
            f"http://127.0.0.1:{livret}/",
            f"http://127.0.0.1:{inscription}/",
        ):
            assert address in printed
        # What the journeys ask: children's birth dates, mobile numbers.
        assert "Manon (né·e le 12/12/2018)" in printed
        assert "mobile : 06 10 00 00 05" in printed
        assert "m.dupont / Directrice2026" in printed
        # No noise: no log lines, development-server warnings or colour codes.
        for noise in ("INFO", "WARNING", "\x1b[", "Running on", "Booting worker"):
            assert noise not in printed
    finally:
        code = first.terminate()
    assert code == 0, first.output
    time.sleep(1)
    assert [port for port in demo_ports if _listening(port)] == []

    # The next start: same ports free again, fresh data (a temporary password printed
    # the first time no longer is, since the letters are issued anew).
    second = Demo(tmp_path, demo_ports)
    try:
        second.wait_ready()
        assert "Données de démonstration neuves." in second.output
        temporary = _temporary_password(first.output, "j.bernard")
        assert temporary and temporary != _temporary_password(second.output, "j.bernard")
    finally:
        assert second.terminate() == 0, second.output


def _temporary_password(printed: str, identifier: str) -> str | None:
    for line in printed.splitlines():
        if line.startswith(f"- {identifier} / "):
            return line.split(" / ", 1)[1].split(" — ", 1)[0]
    return None


def test_the_summary_names_every_address_and_credential():
    demo = runner.Demo(
        host="127.0.0.1",
        ports={"guichet": 1, "livret-scolaire": 2, "inscription": 3, "franceconnect": 4},
        instance=Path("/nowhere"),
    )
    described = json.loads(
        json.dumps(
            {
                "directors": [{"identifier": "m.dupont", "password": "D", "schools": []}],
                "accounts": [
                    {
                        "identifier": "m.petit",
                        "password": None,
                        "state": "Non notifié",
                        "purpose": "Inscription par SMS.",
                        "mobile": "+33610000005",
                        "children": [{"first_name": "Manon", "birth_date": "2018-12-12"}],
                    }
                ],
            }
        )
    )
    text = runner.summary(demo, described)
    assert "http://127.0.0.1:1/admin/" in text and "http://127.0.0.1:4/" in text
    assert "- m.petit / (pas de mot de passe connu) — Non notifié" in text
    assert "enfants : Manon (né·e le 12/12/2018) ; mobile : 06 10 00 00 05" in text
