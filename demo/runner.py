"""`make demo`: prepare the embedded demo and run the service with its companions.

Migrates the SQLite database, loads the demo data once, then starts every
process of the demo under one supervisor (Ctrl-C stops them all): the service
under `guichet serve`, and its companions (`COMPANIONS`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = os.environ.get("DEMO_HOST", "127.0.0.1")
PORT = int(os.environ.get("DEMO_PORT", "5000"))

SERVICES = Path(__file__).with_name("services.json")

# (label, argv) of the processes started next to the service: the two demo
# services of examples/ (Livret scolaire and Inscription, settings in
# services.json), the mock FranceConnect at FRANCECONNECT_ISSUER's default
# (http://127.0.0.1:5090) and the worker.
COMPANIONS: list[tuple[str, list[str]]] = [
    (
        name,
        [sys.executable, "-m", "examples.relying_party", str(SERVICES), name]
        + [f"http://{HOST}:{PORT}"],
    )
    for name in ("livret-scolaire", "inscription")
]
COMPANIONS.append(("franceconnect-mock", [str(BIN / "guichet"), "demo", "franceconnect"]))
# The worker: retries of messages and back-channel logouts, bulk sends of the console.
COMPANIONS.append(("worker", [str(BIN / "guichet"), "worker"]))


def prepare() -> None:
    guichet = str(BIN / "guichet")
    subprocess.run([guichet, "db", "upgrade"], check=True, cwd=ROOT)
    for step in PREPARE_STEPS:
        subprocess.run([guichet, *step], check=True, cwd=ROOT)


# `guichet …` commands run before start, all idempotent: demo data, signing keys
# (current + next), the two demo services, the FranceConnect identity of the
# demo parent activated through FranceConnect (so she signs in directly), and
# the console statistics of the demo schools.
PREPARE_STEPS: list[list[str]] = [
    ["demo", "seed"],
    ["keys", "ensure"],
    ["demo", "services", "--host", HOST],
    ["franceconnect", "link", "--registry-id", "DEMO-FC"]
    + ["--sub", "fc-demo-aline-rousseau", "--skip-missing"],
    ["stats", "compute"],
]


def main() -> int:
    prepare()
    # The production server (`guichet serve`), two workers, requests logged.
    service = [str(BIN / "guichet"), "serve", "--bind", f"{HOST}:{PORT}"]
    server_env = {"WEB_WORKERS": "2", "WEB_ACCESS_LOG": "true", **os.environ}
    processes = [("guichet", subprocess.Popen(service, cwd=ROOT, env=server_env))]
    processes += [(label, subprocess.Popen(argv, cwd=ROOT)) for label, argv in COMPANIONS]
    print(f"\nGuichet : http://{HOST}:{PORT}/   (Ctrl-C pour tout arrêter)\n", flush=True)
    try:
        while all(p.poll() is None for _, p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for _, process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in processes:
            process.wait(timeout=10)
    failed = [label for label, p in processes if p.returncode not in (0, -signal.SIGTERM)]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
