"""`make demo`: prepare the embedded demo and run the service with its companions.

Starts from fresh data each time (the demo's SQLite file is made anew, so every
credential printed works), prepares it (`guichet demo prepare`), starts every process of
the demo under one supervisor, waits until each one listens, then prints the
addresses and, per demo parent, what a journey needs. Ctrl-C or SIGTERM stops every
process it started. The processes' own output (access logs, development-server
warnings, Alembic's INFO lines) goes to `instance/demo-logs/`, not to the screen.

    python -m demo.runner [--port 5000] [--livret-port 5101] [--inscription-port 5102]
                          [--franceconnect-port 5090] [--keep-data] [--reset-only]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import phonenumbers

from demo.services import demo_services

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUICHET = str(BIN / "guichet")
STOPPED = (0, -signal.SIGTERM, 128 + signal.SIGTERM)
READY_TIMEOUT = 180  # seconds: the server and three development servers on a busy machine


@dataclass(frozen=True)
class Demo:
    """Where each part of the demo listens, and the folder its files live in."""

    host: str
    ports: dict[str, int]  # guichet, livret-scolaire, inscription, franceconnect
    instance: Path

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    @property
    def logs(self) -> Path:
        return self.instance / "demo-logs"

    @property
    def services_file(self) -> Path:
        return self.instance / "demo-services.json"


def parse(argv: list[str] | None) -> tuple[Demo, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("DEMO_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "5000")))
    ports = {service["client_id"]: service["port"] for service in demo_services()}
    for name, port in ports.items():
        parser.add_argument(f"--{name.split('-')[0]}-port", type=int, default=port, dest=name)
    parser.add_argument("--franceconnect-port", type=int, default=5090)
    parser.add_argument("--keep-data", action="store_true", help="keep the previous demo data")
    parser.add_argument(
        "--reset-only", action="store_true", help="make fresh demo data, start nothing"
    )
    args = parser.parse_args(argv)
    instance = Path(os.environ.get("INSTANCE_PATH") or ROOT / "instance")
    chosen = {"guichet": args.port, "franceconnect": args.franceconnect_port}
    chosen |= {name: getattr(args, name) for name in ports}
    return Demo(host=args.host, ports=chosen, instance=instance), args


def environment(demo: Demo) -> dict[str, str]:
    """The settings every process of the demo shares (kernel.config reads them)."""
    return {
        **os.environ,
        "INSTANCE_PATH": str(demo.instance),
        "PUBLIC_URL": demo.url("guichet"),
        "FRANCECONNECT_ISSUER": demo.url("franceconnect"),
        "DEMO_HOST": demo.host,
        "PYTHONUNBUFFERED": "1",
    }


def reset(demo: Demo) -> str:
    """Fresh demo data: the demo's own SQLite file is removed (never a DATABASE_URL's
    database, which may hold someone's data). Says what was done."""
    if os.environ.get("DATABASE_URL"):
        return "DATABASE_URL est défini : les données existantes sont conservées."
    database = demo.instance / "guichet.sqlite3"
    for path in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))):
        path.unlink(missing_ok=True)
    return "Données de démonstration neuves."


def prepare(demo: Demo, env: dict[str, str]) -> dict:
    """`guichet demo prepare` (schema, demo data, keys, the demo services at this run's
    ports, FranceConnect link, statistics) in one process, quietly: its output goes to
    the log, shown only on failure. Returns the credentials it prints last (JSON)."""
    demo.instance.mkdir(parents=True, exist_ok=True)
    demo.logs.mkdir(exist_ok=True)
    services = [{**s, "port": demo.ports[s["client_id"]]} for s in demo_services()]
    demo.services_file.write_text(json.dumps(services, ensure_ascii=False), encoding="utf-8")
    step = ["demo", "prepare", "--host", demo.host, "--file", str(demo.services_file)]
    done = subprocess.run([GUICHET, *step], cwd=ROOT, env=env, capture_output=True, text=True)
    (demo.logs / "prepare.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        raise SystemExit(
            f"La préparation de la démonstration a échoué :\n{done.stdout}{done.stderr}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def commands(demo: Demo) -> dict[str, list[str]]:
    """Each process of the demo: the service under `guichet serve`, the two demo services of
    examples/, the mock FranceConnect and the worker (retries, back-channel logouts,
    the console's bulk sends)."""
    # The production server (`guichet serve`; its settings in `start`).
    found = {"guichet": [GUICHET, "serve", "--bind", f"{demo.host}:{demo.ports['guichet']}"]}
    for service in demo_services():
        name = service["client_id"]
        found[name] = [sys.executable, "-m", "examples.relying_party"]
        found[name] += [str(demo.services_file), name, demo.url("guichet")]
    found["franceconnect"] = [GUICHET, "demo", "franceconnect"]
    found["worker"] = [GUICHET, "worker"]
    return found


def start(demo: Demo, env: dict[str, str]) -> dict[str, subprocess.Popen]:
    processes = {}
    # Two workers, requests logged, stopped within 5 s of SIGTERM (no load balancer
    # to drain for).
    server = {"WEB_WORKERS": "2", "WEB_ACCESS_LOG": "true", "WEB_GRACEFUL_TIMEOUT": "5"}
    for name, argv in commands(demo).items():
        log = (demo.logs / f"{name}.log").open("w", encoding="utf-8")
        processes[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**server, **env} if name == "guichet" else env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
    return processes


def listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until_ready(demo: Demo, processes: dict[str, subprocess.Popen]) -> None:
    """Every address answers a connection, or the demo stops saying which part failed."""
    waiting = dict(demo.ports)
    deadline = time.monotonic() + READY_TIMEOUT
    while waiting:
        for name, process in processes.items():
            if process.poll() is not None:
                log = (demo.logs / f"{name}.log").read_text(encoding="utf-8")[-2000:]
                raise RuntimeError(f"« {name} » s'est arrêté au démarrage :\n{log}")
        waiting = {n: p for n, p in waiting.items() if not listening(demo.host, p)}
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(f"Toujours pas à l'écoute après {READY_TIMEOUT} s : {waiting}")
        if waiting:
            time.sleep(0.3)


def stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _readable(e164: str) -> str:
    """`+33610000001` → `06 10 00 00 01`, as a parent types it."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def summary(demo: Demo, described: dict) -> str:
    """The printout of a ready demo: addresses, then each demo person's credentials."""
    return "\n".join(
        [
            "La démonstration est prête.",
            "",
            *addresses(demo),
            "",
            credentials(described),
            "",
            f"Journaux : {demo.logs}/",
            "Ctrl-C arrête tout. Chaque `make demo` repart de données neuves.",
        ]
    )


def addresses(demo: Demo) -> list[str]:
    return [
        f"  Guichet (parents) ........................ {demo.url('guichet')}/",
        f"  Console des directeurs ................... {demo.url('guichet')}/admin/",
        f"  Messages envoyés (codes SMS, courriels) .. {demo.url('guichet')}/dev/outbox",
        f"  Service « Livret scolaire » .............. {demo.url('livret-scolaire')}/",
        f"  Service « Inscription » .................. {demo.url('inscription')}/",
        f"  FranceConnect simulé ..................... {demo.url('franceconnect')}/",
    ]


def credentials(described: dict) -> str:
    """Each demo person's credentials and what their journey asks (children's birth
    dates, mobile number), from `guichet demo seed --json`."""
    lines = []
    for director in described["directors"]:
        lines += ["", "Directrice (console) :"]
        lines.append(f"  {director['identifier']} / {director['password']}")
    lines += ["", "Responsables (identifiant / mot de passe — état — à essayer) :"]
    for account in described["accounts"]:
        password = account["password"] or "(pas de mot de passe connu)"
        lines.append(f"- {account['identifier']} / {password} — {account['state']}")
        lines.append(f"    {account['purpose']}")
        children = ", ".join(
            f"{c['first_name']} (né·e le {_date(c['birth_date'])})" for c in account["children"]
        )
        facts = [f"enfants : {children}"] if children else []
        if account.get("mobile"):
            facts.append(f"mobile : {_readable(account['mobile'])}")
        if facts:
            lines.append("    " + " ; ".join(facts))
    return "\n".join(lines).strip()


def _stop_on_sigterm(_signum, _frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    demo, args = parse(argv)
    env = environment(demo)
    print(reset(demo) if not args.keep_data else "Données de démonstration conservées.")
    described = prepare(demo, env)
    if args.reset_only:
        print(credentials(described))
        return 0
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    processes = {}
    try:
        processes = start(demo, env)
        wait_until_ready(demo, processes)
        print(summary(demo, described), flush=True)
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
    except RuntimeError as problem:
        print(problem, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        stop(processes)
    # Stopped by our SIGTERM: 0 (the server, the worker) or killed by it (-15).
    failed = {n: p.returncode for n, p in processes.items() if p.returncode not in STOPPED}
    if failed:
        print(f"Arrêt anormal : {failed} (journaux : {demo.logs}/)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
