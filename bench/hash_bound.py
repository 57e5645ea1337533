"""The bound a password hash sets on sign-ins per second, measured on this machine:
argon2id verifications per second at the production cost (m=19 MiB, t=2, p=1 unless
ARGON2_* say otherwise), by 1 and by 4 concurrent processes, nothing else. Run it
in the same round as bench/sso_bench.py (scenario `login`): a full sign-in can at
best reach these figures.

    .venv/bin/python bench/hash_bound.py [--seconds 5] [--concurrency 1 4]

Two cores do not give twice the hashes of one: each verification walks 19 MiB of
memory, so parallel hashes compete for memory bandwidth and cache; the figure at
concurrency 4 is what the machine really does, not 2 × the single-core figure.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time

from argon2 import PasswordHasher
from argon2 import Type


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=int(os.environ.get("ARGON2_TIME_COST", 2)),
        memory_cost=int(os.environ.get("ARGON2_MEMORY_KIB", 19 * 1024)),
        parallelism=int(os.environ.get("ARGON2_PARALLELISM", 1)),
        type=Type.ID,
    )


def _verify_until(start: float, stop_at: float, counter) -> None:
    hasher = _hasher()
    stored = hasher.hash("Bench1234")
    hasher.verify(stored, "Bench1234")  # warm-up
    time.sleep(max(0.0, start - time.time()))
    done = 0
    while time.time() < stop_at:
        hasher.verify(stored, "Bench1234")
        done += 1
    with counter.get_lock():
        counter.value += done


def measure(concurrency: int, seconds: float) -> float:
    counter = multiprocessing.Value("i", 0)
    start = time.time() + 1.0
    stop_at = start + seconds
    processes = [
        multiprocessing.Process(target=_verify_until, args=(start, stop_at, counter))
        for _ in range(concurrency)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    return counter.value / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    params = _hasher()
    print(
        f"argon2id m={params.memory_cost // 1024} MiB, t={params.time_cost}, p={params.parallelism}"
    )
    for concurrency in args.concurrency:
        rate = measure(concurrency, args.seconds)
        print(
            f"{'hash bound':<28} c={concurrency}  {rate:>7.1f} verifications/s  "
            f"({1000 * concurrency / rate:.1f} ms each)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
