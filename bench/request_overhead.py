"""What the request hooks (metrics, request id, logs) cost each request, for
several code trees: N requests to `--path` (default `/healthz`: the framework and
the hooks, no database) through Flask's test client (no network), each tree in a
fresh process.

- `--measure cpu` (default): the process's CPU time for the N requests after a
  warm-up, the trees run in turn `--rounds` times, median per tree: quick, and the
  rounds interleave so a loaded machine weighs on every tree alike;
- `--measure instructions`: valgrind's callgrind, a run with 0 and one with N
  requests per tree, the difference divided by N: exact whatever the load, slow.

    .venv/bin/python bench/request_overhead.py --requests 3000 \\
        --tree before=/tmp/main-export --tree after=. \\
        --tree after-files=.:PROMETHEUS_MULTIPROC_DIR=/dev/shm/overhead \\
        --tree after-json=.:LOG_FORMAT=json

See docs/capacity.md «Cost of the metrics».
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

DRIVER = """
import sys, time
from guichet import create_app
app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "SECRET_KEY": "bench"})
client = app.test_client()
count, warm = int(sys.argv[3]), int(sys.argv[4])
for _ in range(warm):
    client.get(sys.argv[2])
start = time.process_time()
for _ in range(count):
    assert client.get(sys.argv[2]).status_code == 200
print(time.process_time() - start)
"""


def instructions(tree: Path, path: str, count: int, database: str, settings: dict) -> int:
    with tempfile.TemporaryDirectory(prefix="overhead_cg_") as out:
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg",
             sys.executable, "-c", DRIVER, database, path, str(count), "0"],
            cwd=tree, check=True, capture_output=True, env=_environment(tree) | settings,
        )  # fmt: skip
        text = Path(out, "cg").read_text(errors="replace")
        return int(re.search(r"^totals: (\d+)", text, re.M).group(1))


def _tree(spec: str) -> tuple[str, Path, dict[str, str]]:
    """`label=directory[:NAME=value...]`: a code tree and the settings it runs with."""
    label, _, rest = spec.partition("=")
    directory, *settings = rest.split(":")
    return label, Path(directory).resolve(), dict(s.split("=", 1) for s in settings)


def cpu_seconds(tree: Path, path: str, count: int, database: str, settings: dict) -> float:
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, database, path, str(count), str(count // 5)],
        cwd=tree, check=True, capture_output=True, text=True,
        env=_environment(tree) | settings,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def _environment(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--path", default="/healthz")
    parser.add_argument("--tree", action="append", required=True, help="label=directory")
    parser.add_argument("--measure", choices=["cpu", "instructions"], default="cpu")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    trees = [_tree(spec) for spec in args.tree]
    with tempfile.TemporaryDirectory(prefix="overhead_db_") as folder:
        database = f"sqlite:///{folder}/bench.sqlite3"
        if args.measure == "instructions":
            for label, tree, settings in trees:
                base = instructions(tree, args.path, 0, database, settings)
                loaded = instructions(tree, args.path, args.requests, database, settings)
                per_request = (loaded - base) / args.requests
                print(f"{label:<12} {per_request / 1000:8.1f} k instructions per GET {args.path}")
            return 0
        times: dict[str, list[float]] = {label: [] for label, _, _ in trees}
        for _ in range(args.rounds):
            for label, tree, settings in trees:
                seconds = cpu_seconds(tree, args.path, args.requests, database, settings)
                times[label].append(seconds / args.requests * 1e6)
        for label, samples in times.items():
            rounds = " ".join(f"{s:.0f}" for s in samples)
            print(f"{label:<12} {statistics.median(samples):7.1f} µs CPU per GET {args.path} "
                  f"(median of {args.rounds} rounds: {rounds})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
