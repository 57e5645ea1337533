"""Instructions per request of a code tree, counted by valgrind's callgrind: what
the request hooks (metrics, request id, logs) cost each request, independent of the
machine's load. Each tree is run twice in a fresh process, with 0 and with N
requests to `--path` (default `/healthz`: the framework and the hooks, no database)
through Flask's test client (no network), and the difference divided by N.

    .venv/bin/python bench/request_overhead.py --requests 2000 \\
        --tree before=/tmp/main-export --tree after=.

Needs valgrind. See docs/capacity.md «Cost of the metrics».
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

DRIVER = """
import sys
from guichet import create_app
app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "SECRET_KEY": "bench"})
client = app.test_client()
for _ in range(int(sys.argv[3])):
    assert client.get(sys.argv[2]).status_code == 200
"""


def instructions(tree: Path, path: str, count: int, database: str) -> int:
    with tempfile.TemporaryDirectory(prefix="overhead_cg_") as out:
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg",
             sys.executable, "-c", DRIVER, database, path, str(count)],
            cwd=tree, check=True, capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)},
        )  # fmt: skip
        text = Path(out, "cg").read_text(errors="replace")
        return int(re.search(r"^totals: (\d+)", text, re.M).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--path", default="/healthz")
    parser.add_argument("--tree", action="append", required=True, help="label=directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="overhead_db_") as folder:
        database = f"sqlite:///{folder}/bench.sqlite3"
        for spec in args.tree:
            label, _, directory = spec.partition("=")
            tree = Path(directory).resolve()
            base = instructions(tree, args.path, 0, database)
            loaded = instructions(tree, args.path, args.requests, database)
            per_request = (loaded - base) / args.requests
            print(f"{label:<12} {per_request / 1000:8.1f} k instructions per GET {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
