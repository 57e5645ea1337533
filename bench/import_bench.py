"""Registry import speed and memory (issue 3 target: 100,000 guardians with about
150,000 pupils in under 60 s on PostgreSQL; the re-import of the same feed in
under half that).

    .venv/bin/python bench/import_bench.py [--guardians 100000] [--schools 400]
        [--database postgresql://postgres@127.0.0.1:5432/guichet_bench]

Generates the feed once (cached under /tmp by size and seed), recreates the
benchmark database, migrates it, then runs `guichet registry import --json`
three times as an operator would: the first import, the re-import of the same
feed, and the import of a next-night feed where 5 % of guardian records changed
their mobile. Each run is a separate process, timed from outside, with its peak
memory (RSS) read from the kernel. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
GUICHET = str(Path(sys.executable).parent / "guichet")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guardians", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/guichet_bench")
    args = parser.parse_args()

    feed = generate(args.guardians, args.schools, args.seed)
    changed = next_night(feed)
    recreate(args.database)
    env = {**os.environ, "DATABASE_URL": args.database, "REDIS_URL": ""}
    env["INSTANCE_PATH"] = tempfile.mkdtemp(prefix="guichet-bench-")
    subprocess.run([GUICHET, "db", "upgrade"], env=env, check=True, capture_output=True)

    rows = []
    for label, folder in (
        ("first import", feed),
        ("re-import, same feed", feed),
        ("next night, 5 % mobiles changed", changed),
    ):
        seconds, rss_mb, counts = timed_import(folder, env)
        rows.append((label, seconds, rss_mb, counts))
        print(f"{label:34} {seconds:6.1f} s   peak RSS {rss_mb:5.0f} MB   {json.dumps(counts)}")
    first = rows[0][1]
    print(f"re-import / first import: {rows[1][1] / first:.2f}")


def generate(guardians: int, schools: int, seed: int) -> Path:
    folder = Path(tempfile.gettempdir()) / f"guichet-feed-{guardians}-{schools}-{seed}"
    if not (folder / "liens.csv").exists():
        subprocess.run(
            [
                GUICHET,
                "registry",
                "generate",
                "--guardians",
                str(guardians),
                "--schools",
                str(schools),
                "--seed",
                str(seed),
                "--out",
                str(folder),
            ],
            check=True,
        )
    return folder


def next_night(feed: Path) -> Path:
    """The same feed with every 20th guardian's mobile changed (a valid new number)."""
    folder = feed.with_name(feed.name + "-next")
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(feed, folder)
    source = (feed / "responsables.csv").read_text(encoding="utf-8").splitlines()
    out = [source[0]]
    for index, line in enumerate(source[1:]):
        fields = next(csv.reader([line], delimiter=";"))
        if index % 20 == 0:
            fields[3] = f"07 5{index % 10} {index // 10000 % 100:02d} " + (
                f"{index // 100 % 100:02d} {index % 100:02d}"
            )
        out.append(";".join(fields))
    (folder / "responsables.csv").write_text("\n".join(out) + "\n", encoding="utf-8")
    return folder


def recreate(url: str) -> None:
    server, name = url.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def timed_import(folder: Path, env: dict) -> tuple[float, float, dict]:
    """Wall time and this process's own peak RSS (wait4 gives one child's usage)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(
            [GUICHET, "registry", "import", str(folder), "--json", "--quiet"],
            env=env,
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"import failed ({process.returncode})")
        out.seek(0)
        counts = json.loads(out.read().strip().splitlines()[-1])
    counts.pop("details", None)
    return seconds, usage.ru_maxrss / 1024, counts


if __name__ == "__main__":
    main()
