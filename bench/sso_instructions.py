"""Instructions per single sign-on flow in a provider's worker, counted by
valgrind's callgrind: unlike seconds, the count does not move with the load of a
shared machine, so two providers (or two versions of one) compare exactly.

    bench/sso_instructions.py --issuer http://127.0.0.1:8400 --flows 40 -- \\
        .venv/bin/gunicorn --workers 1 --bind 127.0.0.1:8400 --timeout 600 'guichet:create_app()'

The command after `--` is started under `valgrind --tool=callgrind
--trace-children=yes` (one worker); the parent signs in once (Guichet's `b.essai0`
of bench/sso_setup.py; flask-ceiling needs none), then the counters are zeroed,
`--flows` flows of bench/sso_bench.py's "sso" scenario run, and the counters are
dumped; the same again for flows stopped after authorize and after token, so the
cost of each endpoint is the difference. Printed: instructions per flow in the
busiest process (the worker), and per endpoint; with `--login`, also per full
password sign-in from a fresh browser (the "login" scenario: one argon2id
verification, about 191 M instructions at Guichet's cost, is in it).
Needs valgrind. See docs/benchmarks.md "Single sign-on".
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests

HERE = Path(__file__).resolve().parent


def _bench_module():
    os.environ.setdefault("SSO_BENCH_TIMEOUT", "600")
    spec = importlib.util.spec_from_file_location("sso_bench", HERE / "sso_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _busiest_total(directory: str) -> int:
    """The instruction count of the busiest process (the worker) in the last dump."""
    counts = []
    for path in glob.glob(f"{directory}/cg.*.*"):
        match = re.search(r"^totals: (\d+)", Path(path).read_text(errors="replace"), re.M)
        if match:
            counts.append(int(match.group(1)))
    return max(counts)


def _process_tree(root: int) -> list[int]:
    """`root` and its descendants (the valgrind'd server and its workers)."""
    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _callgrind_control(option: str, root: int) -> None:
    """Zero (-z) or dump (-d) the counters of our server's processes only: without a
    pid, callgrind_control acts on every callgrind run of the machine, another
    measurement's included, and each would spoil the other's windows."""
    for pid in _process_tree(root):
        subprocess.run(["callgrind_control", option, str(pid)], capture_output=True)


class Flows:
    """The flows counted, driven as bench/sso_bench.py's client drives them."""

    def __init__(self, bench, issuer: str, user: str, password: str):
        self.provider = bench.Provider(
            issuer,
            "bench",
            "secret-secret-secret",
            "http://127.0.0.1:9999/cb",
            "openid profile email",
        )
        self.user, self.password = user, password
        self.http, self.browser = requests.Session(), requests.Session()

    def sso(self, upto: str = "userinfo", prompt: str | None = "none", **login) -> None:
        """One SSO flow, stopped after `upto` (authorize, token or userinfo)."""
        provider = self.provider
        url, _params, verifier = provider.authorize_url(prompt=prompt)
        callback = provider.follow(self.browser, url, **login)
        if upto == "authorize":
            return
        code = parse_qs(urlsplit(callback).query)["code"][0]
        response = self.http.post(
            provider.meta["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": provider.redirect_uri,
                "code_verifier": verifier,
            },
            auth=provider.client,
            timeout=600,
        )
        if response.status_code != 200:
            raise SystemExit(f"token answered {response.status_code}: {response.text}")
        if upto == "token":
            return
        info = self.http.get(
            provider.meta["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {response.json()['access_token']}"},
            timeout=600,
        )
        if info.status_code != 200:
            raise SystemExit(f"userinfo answered {info.status_code}: {info.text}")

    def sign_in(self, upto: str = "userinfo") -> None:
        """A full password sign-in from a fresh browser (the "login" scenario)."""
        self.browser = requests.Session()
        self.sso(upto, prompt=None, user=self.user, password=self.password)


def _per_flow(out: str, server_pid: int, flows: int, one) -> float:
    """Instructions per call of `one` in the busiest process, after 5 unmeasured."""
    for dump in glob.glob(f"{out}/cg.*"):
        os.unlink(dump)
    for _ in range(5):
        one()
    _callgrind_control("-z", server_pid)
    for _ in range(flows):
        one()
    _callgrind_control("-d", server_pid)
    time.sleep(1)
    return _busiest_total(out) / flows / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--flows", type=int, default=40)
    parser.add_argument("--user", default="b.essai0")
    parser.add_argument("--password", default="Bench1234")
    parser.add_argument(
        "--login", action="store_true", help="also count a full sign-in from a fresh browser"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    bench = _bench_module()
    out = tempfile.mkdtemp(prefix="sso_cg_")
    server = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--trace-children=yes",
            f"--callgrind-out-file={out}/cg.%p",
            *command,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(300):
            try:
                requests.get(args.issuer + "/.well-known/openid-configuration", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.5)
        flows = Flows(bench, args.issuer, args.user, args.password)
        flows.sso(prompt=None, user=args.user, password=args.password)  # the session

        def count(one, upto: str) -> float:
            return _per_flow(out, server.pid, args.flows, lambda: one(upto))

        authorize, token = count(flows.sso, "authorize"), count(flows.sso, "token")
        whole = count(flows.sso, "userinfo")
        login = count(flows.sign_in, "userinfo") if args.login else None
    finally:
        os.killpg(server.pid, 15)
        server.wait()
    print(
        f"{whole:.2f} M instructions per sso flow: authorize {authorize:.2f} M, "
        f"token {token - authorize:.2f} M, userinfo {whole - token:.2f} M "
        f"({args.flows} flows each, busiest process)"
    )
    if login is not None:
        print(
            f"{login:.2f} M instructions per password sign-in from a fresh browser "
            "(one argon2id verification included)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
