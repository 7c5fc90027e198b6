"""The journal's engines compared: a send of 1,000 with the journal on PostgreSQL against the same
send on SQLite, side by side in the same run; then four operators each sending 1,000 letters at
once into one PostgreSQL journal.

    python bench/engines.py            # 3 rounds
    python bench/engines.py --runs 1

PostgreSQL is Debian's, started for the run in a temporary folder on 127.0.0.1 with fsync on (as a
server would run), and stopped at the end. Prints a table and writes bench/engines.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.pg_server
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/run.py

from run import MAILER, PYTHON, ROOT, mailer_env, sink, timed, workspace

from tests.pg_server import PgServer, start_postgres

COUNT = 1000
OPERATORS = 4


def send(folder: Path, db: str, letter: str = "quality-week") -> float:
    with sink() as (port, counted):
        env = {**mailer_env(port, folder), "MAILER_DB": db}
        seconds, _ = timed([*MAILER, "send", letter, "--yes"], folder, env)
    assert counted[0] == COUNT, counted
    return seconds


def four_at_once(folder: Path, server: PgServer) -> tuple[float, list[float]]:
    """Four operators, four letters, one journal: wall time of all, and of each."""
    for n in range(OPERATORS):
        copy = folder / "letters" / f"letter-{n}"
        if not copy.exists():  # four letters: each its own registration number
            shutil.copytree(folder / "letters" / "quality-week", copy)
            toml = copy / "letter.toml"
            text = toml.read_text(encoding="utf-8")
            toml.write_text(text.replace("/-3327", f"/-{5000 + n}"), encoding="utf-8")
    db = server.new_database()
    with sink() as (port, counted):
        start = time.perf_counter()
        processes = []
        for n in range(OPERATORS):
            env = {
                **mailer_env(port, folder),
                "MAILER_DB": db,
                "MAILER_OPERATOR": f"оператор {n + 1}",
            }
            processes.append(
                (
                    time.perf_counter(),
                    subprocess.Popen(
                        [*MAILER, "send", f"letter-{n}", "--yes"],
                        cwd=folder,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                    ),
                )
            )
        each = []
        for started, process in processes:
            _, err = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(err.decode()[-2000:])
            each.append(time.perf_counter() - started)
        wall = time.perf_counter() - start
    assert counted[0] == COUNT * OPERATORS, counted
    return wall, each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "engines.json")
    args = parser.parse_args()
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "mailer")], check=True)
    server = start_postgres(durable=True)
    folder = workspace(COUNT)
    try:
        sqlite_runs, pg_runs, fours = [], [], []
        for _ in range(args.runs):  # side by side, so a slow spell falls on both
            sqlite_runs.append(send(folder, str(folder / f"journal-{time.monotonic_ns()}.db")))
            pg_runs.append(send(folder, server.new_database()))
            fours.append(four_at_once(folder, server))
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    sqlite_rate = COUNT / statistics.median(sqlite_runs)
    pg_rate = COUNT / statistics.median(pg_runs)
    wall = statistics.median(w for w, _ in fours)
    slowest = statistics.median(max(each) for _, each in fours)
    results = {
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "date": time.strftime("%Y-%m-%d"),
        "runs": args.runs,
        "send_1000_sqlite_msgs_per_s": round(sqlite_rate, 1),
        "send_1000_postgresql_msgs_per_s": round(pg_rate, 1),
        "postgresql_over_sqlite": round(pg_rate / sqlite_rate, 2),
        "four_operators_1000_each_wall_s": round(wall, 2),
        "four_operators_total_msgs_per_s": round(COUNT * OPERATORS / wall, 1),
        "four_operators_slowest_s": round(slowest, 2),
    }
    rows = [
        ("send 1000, journal on SQLite", f"{sqlite_rate:.0f} msg/s"),
        ("send 1000, journal on PostgreSQL", f"{pg_rate:.0f} msg/s ({pg_rate / sqlite_rate:.2f}×)"),
        (
            "4 operators × 1000 at once, PostgreSQL",
            f"{wall:.1f} s for all, {COUNT * OPERATORS / wall:.0f} msg/s together",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"\n{results['machine']}; medians of {args.runs} runs, each command timed from start-up")
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
