"""Mixed workload on one node, modelled on Keycloak's benchmark (its
"AuthorizationCode" scenario: each user signs in with a password, refreshes its
tokens several times, a share signs out) plus single sign-on flows to a second
service; the figures of docs/capacity.md.

    .venv/bin/python bench/mixed_workload.py [--seconds 20] [--concurrency 4] \\
        [--workers 1] [--users 40] [--refreshes 3] [--sso 2] [--logout-share 0.5]

Everything it measures is its own: a private PostgreSQL cluster (initdb on a free
port, fsync on, `pg_stat_statements` preloaded) with the database
`guichet_bench_metrics`, a private redis-server, and one node served by `guichet
serve` (WEB_WORKERS processes, 1 by default: one app core; the production argon2id
cost). The shared PostgreSQL and Redis of the machine are not touched. Phases, each
`--seconds` long at `--concurrency` browsers:

- sign_in: a new browser each time: authorize → sign-in form → code → token;
- refresh: refresh-token grants (each rotates the refresh token);
- sso: a signed-in browser: authorize (prompt=none) → code → token → userinfo at
  the second service;
- mixed: per iteration a password sign-in, `--refreshes` refreshes, `--sso` SSO
  flows to the second service, and a sign-out for `--logout-share` of them.

For each phase: operations/s, HTTP requests/s (from the node's own /metrics), the
app's CPU (/proc of the master and workers), so operations per app core-second, and
the database's CPU (/proc of the cluster's processes), transactions, tuple writes
and WAL (`pg_stat_database`, `pg_stat_wal`, `pg_stat_bgwriter`), scaled per 100
operations/s, plus Redis commands; the mixed phase also prints its top statements
(`pg_stat_statements`). `--json` prints the raw figures.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import pwd
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
DATABASE = "guichet_bench_metrics"
SECOND_SERVICE = "bench-b"
SECRET = "secret-secret-secret"
REDIRECT = "http://127.0.0.1:9999/cb"
SCOPE = "openid profile offline_access"
TICKS = os.sysconf("SC_CLK_TCK")


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the private servers ---------------------------------------------------------------


class Cluster:
    """initdb + pg_ctl as the `postgres` user (PostgreSQL refuses root)."""

    def __init__(self):
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
        self.bindir = bindirs[0]
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="guichet-bench-pg-"))
        self.user = "postgres" if os.geteuid() == 0 else None

    def run(self, *argv: str) -> str:
        command = ["runuser", "-u", self.user, "--", *argv] if self.user else list(argv)
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    def start(self) -> Cluster:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        data = str(self.folder / "data")
        self.run(str(self.bindir / "initdb"), "-D", data, "-U", "postgres", "--auth=trust")
        options = (
            f"-p {self.port} -k {self.folder} -h 127.0.0.1 "
            "-c shared_preload_libraries=pg_stat_statements -c max_connections=200"
        )
        self.run(str(self.bindir / "pg_ctl"), "start", "-w", "-D", data, "-o", options,
                 "-l", str(self.folder / "server.log"))  # fmt: skip
        self.psql("postgres", f"CREATE DATABASE {DATABASE}")
        self.psql(DATABASE, "CREATE EXTENSION pg_stat_statements")
        return self

    def psql(self, database: str, sql: str) -> str:
        return subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
             "-AtqX", "-F", "\t", "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip

    def postmaster(self) -> int:
        return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.run(str(self.bindir / "pg_ctl"), "stop", "-m", "fast", "-w",
                     "-D", str(self.folder / "data"))  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)

    def stats(self) -> dict[str, float]:
        row = self.psql(
            DATABASE,
            "SELECT d.xact_commit, d.tup_inserted + d.tup_updated + d.tup_deleted, "
            "w.wal_records, w.wal_bytes, w.wal_write, w.wal_sync, "
            "b.buffers_checkpoint + b.buffers_clean + b.buffers_backend "
            "FROM pg_stat_database d, pg_stat_wal w, pg_stat_bgwriter b "
            f"WHERE d.datname = '{DATABASE}'",
        )
        names = ["commits", "tuple_writes", "wal_records", "wal_bytes", "wal_writes",
                 "wal_syncs", "buffer_writes"]  # fmt: skip
        return dict(zip(names, (float(v) for v in row.split("\t")), strict=True))

    def top_statements(self, limit: int = 6) -> list[str]:
        rows = self.psql(
            DATABASE,
            "SELECT calls, round(total_exec_time::numeric, 1), wal_records, "
            "left(regexp_replace(query, '\\s+', ' ', 'g'), 90) FROM pg_stat_statements "
            f"WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '{DATABASE}') "
            f"ORDER BY total_exec_time DESC LIMIT {limit}",
        )
        return rows.splitlines()


def cpu_seconds(pids: list[int], *, with_reaped_children: bool = False) -> float:
    """User + system CPU of these processes (and of their children already reaped)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            if with_reaped_children:
                total += int(fields[13]) + int(fields[14])
    return total / TICKS


def _own_cpu() -> float:
    """This driver's CPU: on a 2-core machine the browsers compete with the node."""
    times = os.times()
    return times.user + times.system


def children(pid: int) -> list[int]:
    with contextlib.suppress(FileNotFoundError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def redis_commands(port: int) -> float:
    info = subprocess.run(
        ["redis-cli", "-p", str(port), "INFO", "stats"], capture_output=True, text=True
    ).stdout
    return float(re.search(r"total_commands_processed:(\d+)", info).group(1))


# -- the node and its data ---------------------------------------------------------


def prepare(env: dict[str, str], users: int) -> tuple[list[str], str]:
    """Keys, the two services, `users` parents (bench/sso_setup.py), in the private
    database; returns the parents' identifiers and the second service's secret."""
    setup = subprocess.run(
        [str(BIN / "python"), str(HERE / "sso_setup.py"), str(users)],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    identifiers = [line.strip() for line in setup.stdout.splitlines() if line.startswith("b.")]
    added = subprocess.run(
        [str(BIN / "guichet"), "clients", "add", "--name", "Second service",
         "--client-id", SECOND_SERVICE, "--redirect-uri", REDIRECT, "--scope", SCOPE,
         "--post-logout-redirect-uri", "http://127.0.0.1:9999/out", "--trusted", "--json"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return identifiers, json.loads(added.stdout)["client_secret"]


def request_count(url: str) -> float:
    text = requests.get(url + "/metrics", timeout=30).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("guichet_http_requests_total{") and 'endpoint="metrics"' not in line
    )


# -- the browsers ----------------------------------------------------------------------


class Service:
    """One relying party (sso_bench's Provider) that keeps its token responses."""

    def __init__(self, bench, issuer: str, client_id: str, secret: str = SECRET):
        self.provider = bench.Provider(issuer, client_id, secret, REDIRECT, SCOPE)

    def sign_in(self, browser, http, *, user=None, password=None) -> dict:
        provider = self.provider
        url, params, verifier = provider.authorize_url(prompt=None if user else "none")
        callback = provider.follow(browser, url, user=user, password=password)
        code = parse_qs(urlsplit(callback).query)["code"][0]
        token = http.post(
            provider.meta["token_endpoint"],
            data={"grant_type": "authorization_code", "code": code,
                  "redirect_uri": REDIRECT, "code_verifier": verifier},
            auth=provider.client, timeout=30,
        )  # fmt: skip
        token.raise_for_status()
        return token.json()

    def refresh(self, http, refresh_token: str) -> dict:
        token = http.post(
            self.provider.meta["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=self.provider.client, timeout=30,
        )  # fmt: skip
        token.raise_for_status()
        return token.json()

    def userinfo(self, http, access_token: str) -> None:
        info = http.get(
            self.provider.meta["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"}, timeout=30,
        )  # fmt: skip
        info.raise_for_status()

    def sign_out(self, browser, id_token: str) -> None:
        query = urlencode({"id_token_hint": id_token, "client_id": self.provider.client[0],
                           "post_logout_redirect_uri": "http://127.0.0.1:9999/out"})  # fmt: skip
        answer = browser.get(
            self.provider.meta["end_session_endpoint"] + "?" + query,
            allow_redirects=False, timeout=30,
        )  # fmt: skip
        if answer.status_code != 302:
            raise RuntimeError(f"sign-out answered {answer.status_code}")


class Phase:
    """`concurrency` browsers doing `step(state, ops)` until the time is up."""

    def __init__(self, name, seconds, concurrency):
        self.name, self.seconds, self.concurrency = name, seconds, concurrency
        self.ops: Counter = Counter()
        self.errors: Counter = Counter()
        self.lock = threading.Lock()

    def run(self, begin, step) -> None:
        stop_at = time.monotonic() + self.seconds

        def browser(index: int) -> None:
            state = begin(index)
            while time.monotonic() < stop_at:
                done: Counter = Counter()
                try:
                    step(state, done)
                except Exception as exc:  # counted, the browser goes on
                    with self.lock:
                        self.errors[type(exc).__name__] += 1
                with self.lock:
                    self.ops.update(done)

        threads = [threading.Thread(target=browser, args=(i,)) for i in range(self.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def scenarios(first: Service, second: Service, users: list[str], password: str, args):
    """Each phase's (begin, step): `begin(index)` is a browser's state before the clock."""

    def fresh(index):
        return {"user": users[index % len(users)], "http": requests.Session()}

    def signed_in(index):
        state = fresh(index)
        state["browser"] = requests.Session()
        state["token"] = first.sign_in(state["browser"], state["http"],
                                       user=state["user"], password=password)  # fmt: skip
        return state

    def sign_in(state, ops):
        first.sign_in(requests.Session(), state["http"], user=state["user"], password=password)
        ops["sign_in"] += 1

    def refresh(state, ops):
        state["token"] = first.refresh(state["http"], state["token"]["refresh_token"])
        ops["refresh"] += 1

    def sso(state, ops):
        token = second.sign_in(state["browser"], state["http"])
        second.userinfo(state["http"], token["access_token"])
        ops["sso"] += 1

    def mixed(state, ops):
        browser, http = requests.Session(), state["http"]
        token = first.sign_in(browser, http, user=state["user"], password=password)
        ops["sign_in"] += 1
        id_token = token["id_token"]
        for _ in range(args.refreshes):
            token = first.refresh(http, token["refresh_token"])
            ops["refresh"] += 1
        for _ in range(args.sso):
            other = second.sign_in(browser, http)
            second.userinfo(http, other["access_token"])
            ops["sso"] += 1
        if random.random() < args.logout_share:  # noqa: S311 - a share of the users
            first.sign_out(browser, id_token)
            ops["logout"] += 1

    return {
        "sign_in": (fresh, sign_in),
        "refresh": (signed_in, refresh),
        "sso": (signed_in, sso),
        "mixed": (fresh, mixed),
    }


def measure(phase: Phase, begin, step, *, node, cluster, redis_port) -> dict:
    """Run one phase between two readings of every counter."""
    app_pids = lambda: [node.pid, *children(node.pid)]  # noqa: E731
    pg_pids = lambda: [cluster.postmaster(), *children(cluster.postmaster())]  # noqa: E731
    cluster.psql(DATABASE, "SELECT pg_stat_statements_reset()")
    before = {
        "driver_cpu": _own_cpu(),
        "app_cpu": cpu_seconds(app_pids()),
        "pg_cpu": cpu_seconds(pg_pids(), with_reaped_children=True),
        "requests": request_count(node.url),
        "redis": redis_commands(redis_port),
        **cluster.stats(),
    }
    started = time.monotonic()
    phase.run(begin, step)
    elapsed = time.monotonic() - started
    after = {
        "driver_cpu": _own_cpu(),
        "app_cpu": cpu_seconds(app_pids()),
        "pg_cpu": cpu_seconds(pg_pids(), with_reaped_children=True),
        "requests": request_count(node.url) - 1,  # this reading's own request
        "redis": redis_commands(redis_port),
        **cluster.stats(),
    }
    delta = {key: after[key] - before[key] for key in before}
    operations = sum(phase.ops.values())
    per_100 = 100 / (operations / elapsed) if operations else 0.0
    return {
        "phase": phase.name,
        "seconds": round(elapsed, 1),
        "operations": dict(phase.ops),
        "errors": dict(phase.errors),
        "ops_per_s": round(operations / elapsed, 1),
        "requests_per_s": round(delta["requests"] / elapsed, 1),
        "app_cores_busy": round(delta["app_cpu"] / elapsed, 2),
        "ops_per_app_core_s": round(operations / delta["app_cpu"], 1) if delta["app_cpu"] else 0,
        "pg_cores_busy": round(delta["pg_cpu"] / elapsed, 2),
        "driver_cores_busy": round(delta["driver_cpu"] / elapsed, 2),
        "per_100_ops_s": {
            "pg_cores": round(delta["pg_cpu"] / elapsed * per_100, 3),
            "commits_s": round(delta["commits"] / elapsed * per_100),
            "tuple_writes_s": round(delta["tuple_writes"] / elapsed * per_100),
            "wal_records_s": round(delta["wal_records"] / elapsed * per_100),
            "wal_writes_s": round(delta["wal_writes"] / elapsed * per_100),
            "wal_syncs_s": round(delta["wal_syncs"] / elapsed * per_100),
            "buffer_writes_s": round(delta["buffer_writes"] / elapsed * per_100),
            "wal_kib_s": round(delta["wal_bytes"] / 1024 / elapsed * per_100),
            "redis_commands_s": round(delta["redis"] / elapsed * per_100),
        },
        "raw": delta,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--refreshes", type=int, default=3)
    parser.add_argument("--sso", type=int, default=2)
    parser.add_argument("--logout-share", type=float, default=0.5)
    parser.add_argument("--phases", nargs="+", default=["sign_in", "refresh", "sso", "mixed"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    served = _module(HERE.parent / "tests" / "served.py")  # `guichet serve`, as the tests run it
    bench = _module(HERE / "sso_bench.py")
    cluster = Cluster().start()
    redis_port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    node = None
    try:
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{cluster.port}/{DATABASE}",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "SECRET_KEY": "bench-secret",
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LOGIN_RATE_LIMIT": "1000000/minute",
            "WEB_WORKERS": str(args.workers),
            "WEB_THREADS": str(args.threads),
            "WEB_MAX_REQUESTS": "0",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        users, second_secret = prepare(env, args.users)
        log = cluster.folder / "serve.log"
        node = served.ServedNode(env, log=log, port=port).start(timeout=120)
        first = Service(bench, node.url, "bench")
        second = Service(bench, node.url, SECOND_SERVICE, second_secret)
        plans = scenarios(first, second, users, "Bench1234", args)
        results = []
        for name in args.phases:
            begin, step = plans[name]
            phase = Phase(name, args.seconds, args.concurrency)
            result = measure(phase, begin, step, node=node, cluster=cluster, redis_port=redis_port)
            if name == "mixed":
                result["top_statements"] = cluster.top_statements()
            results.append(result)
            if not args.json:
                report(result)
        if args.json:
            print(json.dumps(results, indent=2))
    finally:
        if node is not None:
            node.stop()
        redis.terminate()
        cluster.stop()
    return 0


def report(result: dict) -> None:
    per = result["per_100_ops_s"]
    print(
        f"{result['phase']:<8} {result['ops_per_s']:>7.1f} ops/s {result['operations']} "
        f"errors {result['errors']}\n"
        f"         {result['requests_per_s']:>7.1f} HTTP req/s; app {result['app_cores_busy']} "
        f"cores busy -> {result['ops_per_app_core_s']} ops per app core-second; "
        f"PostgreSQL {result['pg_cores_busy']} cores busy; driver {result['driver_cores_busy']}\n"
        f"         per 100 ops/s: PG {per['pg_cores']} cores, {per['commits_s']} commits/s, "
        f"{per['tuple_writes_s']} tuple writes/s, {per['wal_records_s']} WAL records/s, "
        f"{per['wal_writes_s']} WAL writes/s, {per['wal_syncs_s']} WAL fsyncs/s, "
        f"{per['buffer_writes_s']} buffer writes/s, {per['wal_kib_s']} KiB WAL/s, "
        f"Redis {per['redis_commands_s']} commands/s",
        flush=True,
    )
    for line in result.get("top_statements", []):
        print("         " + line.replace("\t", " | "))


if __name__ == "__main__":
    raise SystemExit(main())
