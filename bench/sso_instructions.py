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
busiest process (the worker), and per endpoint.
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--flows", type=int, default=40)
    parser.add_argument("--user", default="b.essai0")
    parser.add_argument("--password", default="Bench1234")
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
        provider = bench.Provider(
            args.issuer,
            "bench",
            "secret-secret-secret",
            "http://127.0.0.1:9999/cb",
            "openid profile email",
        )
        http, browser = requests.Session(), requests.Session()

        def flow(prompt=None, upto="userinfo", **login):
            """One SSO flow, stopped after `upto` (authorize, token or userinfo)."""
            url, params, verifier = provider.authorize_url(prompt=prompt)
            callback = provider.follow(browser, url, **login)
            if upto == "authorize":
                return
            code = parse_qs(urlsplit(callback).query)["code"][0]
            response = http.post(
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
            token = response.json()
            if upto == "token":
                return
            info = http.get(
                provider.meta["userinfo_endpoint"],
                headers={"Authorization": f"Bearer {token['access_token']}"},
                timeout=600,
            )
            if info.status_code != 200:
                raise SystemExit(f"userinfo answered {info.status_code}: {info.text}")

        def per_flow(upto: str) -> float:
            for dump in glob.glob(f"{out}/cg.*"):
                os.unlink(dump)
            for _ in range(5):
                flow(prompt="none", upto=upto)
            _callgrind_control("-z", server.pid)
            for _ in range(args.flows):
                flow(prompt="none", upto=upto)
            _callgrind_control("-d", server.pid)
            time.sleep(1)
            return _busiest_total(out) / args.flows / 1e6

        flow(user=args.user, password=args.password)
        authorize, token, whole = per_flow("authorize"), per_flow("token"), per_flow("userinfo")
    finally:
        os.killpg(server.pid, 15)
        server.wait()
    print(
        f"{whole:.2f} M instructions per sso flow: authorize {authorize:.2f} M, "
        f"token {token - authorize:.2f} M, userinfo {whole - token:.2f} M "
        f"({args.flows} flows each, busiest process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
