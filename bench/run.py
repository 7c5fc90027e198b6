"""The benchmarks: speed and memory of mailer against the peer tool and the SMTP ceiling.

    python bench/run.py            # the full set (about 12 minutes on 2 cores)
    python bench/run.py --quick    # fewer runs and 1,000 recipients only

Prints a table and writes it as JSON (bench/results.json). Every server is on 127.0.0.1 and is
stopped at the end. The peer tool, mailmerge 2.3.0, is installed from PyPI into a throwaway
virtual environment (bench/.mailmerge-venv).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MAILER = [PYTHON, "-m", "mailer"]
MAILMERGE_VENV = ROOT / "bench" / ".mailmerge-venv"
NAMES = [
    ("Уварова Наталья Ивановна", "Глава Грязинского муниципального округа"),
    ("Черных Вячеслав Тимофеевич", "Первый заместитель главы администрации"),
    ("Петрова-Водкина Ольга Сергеевна", "Исполняющая обязанности главы округа"),
    ("Мамедов Руслан Ильхам оглы", "Глава Липецкого муниципального округа"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def sink(delay: float = 0.0) -> Iterator[tuple[int, list[int]]]:
    """A counting SMTP server in its own process; yields its port and, after, the count."""
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "bench" / "sink.py"), str(port), str(delay)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    counted: list[int] = []
    try:
        yield port, counted
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
        counted.append(int(out.strip() or 0))


def workspace(count: int) -> Path:
    """A user's folder: the sample letters and a list of ``count`` recipients."""
    folder = Path(tempfile.mkdtemp(prefix=f"mailer-bench-{count}-"))
    shutil.copytree(ROOT / "letters", folder / "letters")
    rows = ["id,email,full_name,position,organization"]
    for n in range(count):
        name, position = NAMES[n % len(NAMES)]
        rows.append(f"r{n:05d},glava{n}@mo{n}.example.org,{name},{position},Округ № {n}")
    (folder / "recipients.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    mm_rows = ["email,name"] + [
        f"glava{n}@mo{n}.example.org,{NAMES[n % 4][0]}" for n in range(count)
    ]
    (folder / "mailmerge_database.csv").write_text("\n".join(mm_rows) + "\n", encoding="utf-8")
    return folder


def mailer_env(port: int, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    env.update(
        MAILER_SMTP_HOST="127.0.0.1",
        MAILER_SMTP_PORT=str(port),
        MAILER_SMTP_SECURITY="none",
        MAILER_DB=str(folder / f"journal-{time.monotonic_ns()}.db"),
        MAILER_SENDER="Управление экономического развития <ed@economy.example.org>",
    )
    return env


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        assert process.stderr is not None
        raise RuntimeError(f"{command} failed: {process.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss


def mailer_send(folder: Path, count: int) -> tuple[float, int]:
    with sink() as (port, counted):
        result = timed([*MAILER, "send", "quality-week", "--yes"], folder, mailer_env(port, folder))
    assert counted[0] == count, (counted, count)
    return result


def mailmerge_bin() -> Path:
    binary = MAILMERGE_VENV / "bin" / "mailmerge"
    if not binary.exists():
        subprocess.run([PYTHON, "-m", "venv", str(MAILMERGE_VENV)], check=True)
        subprocess.run(
            [str(MAILMERGE_VENV / "bin" / "pip"), "install", "-q", "mailmerge==2.3.0"], check=True
        )
    return binary


def sample_preview(folder: Path) -> Path:
    """The letters as mailer builds them, written once per workspace."""
    preview = folder / "sample-preview"
    if not preview.exists():
        subprocess.run(
            [*MAILER, "preview", "quality-week", "--out", str(preview)],
            cwd=folder,
            env=mailer_env(25, folder),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return preview


def mailmerge_files(folder: Path, port: int) -> None:
    """The same letter for mailmerge: its text, with one prepared DOCX attached (it cannot
    build one per recipient)."""
    if not (folder / "letter.docx").exists():
        preview = sample_preview(folder)
        first = sorted(preview.glob("*.docx"))[0]
        shutil.copy(first, folder / "letter.docx")
        text = sorted(preview.glob("*.html"))[0].read_text(encoding="utf-8")
        (folder / "body.html").write_text(text, encoding="utf-8")
    body = (folder / "body.html").read_text(encoding="utf-8")
    (folder / "mailmerge_template.txt").write_text(
        "TO: {{email}}\n"
        "SUBJECT: О Всемирной неделе качества (исх. № 02-06-4425И38/10/-3327 от 12.10.2023)\n"
        "FROM: Управление экономического развития <ed@economy.example.org>\n"
        "ATTACHMENT: letter.docx\n"
        "Content-Type: text/html\n\n" + body.replace("Уважаемая", "Уважаемый(ая) {{name}},", 1),
        encoding="utf-8",
    )
    (folder / "mailmerge_server.conf").write_text(
        f"[smtp_server]\nhost = 127.0.0.1\nport = {port}\n", encoding="utf-8"
    )


def mailmerge_send(folder: Path, count: int) -> float:
    binary = mailmerge_bin()
    with sink() as (port, counted):
        mailmerge_files(folder, port)
        seconds, _ = timed(
            [str(binary), "--no-dry-run", "--no-limit", "--output-format", "raw"],
            folder,
            dict(os.environ),
        )
    assert counted[0] == count, (counted, count)
    return seconds


def ceiling_send(folder: Path, count: int) -> float:
    """Already-built messages pushed through a pool of four reused aiosmtplib connections,
    timed as a command like the two tools."""
    sample = sorted(sample_preview(folder).glob("*.eml"))[0]
    with sink() as (port, counted):
        seconds, _ = timed(
            [PYTHON, str(ROOT / "bench" / "ceiling.py"), str(port), str(count), str(sample)],
            folder,
            dict(os.environ),
        )
    assert counted[0] == count
    return seconds


def mailer_preview(folder: Path) -> float:
    out = folder / f"preview-{time.monotonic_ns()}"
    seconds, _ = timed(
        [*MAILER, "preview", "quality-week", "--out", str(out)], folder, mailer_env(25, folder)
    )
    shutil.rmtree(out)
    return seconds


def mailmerge_dry_run(folder: Path) -> float:
    binary = mailmerge_bin()
    mailmerge_files(folder, 25)
    seconds, _ = timed(
        [str(binary), "--dry-run", "--no-limit", "--output-format", "raw"], folder, dict(os.environ)
    )
    return seconds


def startup() -> float:
    binary = Path(PYTHON).parent / "mailer"
    command = [str(binary) if binary.exists() else PYTHON, "--help"]
    if not binary.exists():
        command = [*MAILER, "--help"]
    return timed(command, ROOT, dict(os.environ))[0]


def tracking(runs: int) -> tuple[float, float, float, float]:
    """`track` over a 20,000-message mailbox in Dovecot: the first scan and a second one."""
    sys.path.insert(0, str(ROOT))
    from tests.imap_server import UID, start_dovecot

    folder = workspace(20)
    server = start_dovecot()
    try:
        with sink() as (port, _):
            env = mailer_env(port, folder)
            subprocess.run(
                [*MAILER, "send", "quality-week", "--yes"],
                cwd=folder,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        cur = server.root / "Maildir" / "cur"
        cur.mkdir(exist_ok=True)
        for n in range(20_000):
            sender = (
                f"glava{n % 25}@mo{n % 25}.example.org"
                if n % 1000 == 0
                else f"news{n}@shop.example.com"
            )
            data = (
                f"From: {sender}\r\nTo: ed@economy.example.org\r\nSubject: Письмо {n}\r\n"
                f"Message-ID: <m{n}@bench.example.org>\r\nDate: Mon, 16 Oct 2023 10:00:00 +0300"
                f"\r\n\r\nТекст письма {n}.\r\n"
            ).encode()
            # named as a delivery agent names them (time, microseconds and pid, host, size):
            # Dovecot hashes these names, and look-alike ones collide into a slow first scan
            path = cur / (
                f"{1697400000 + n // 7}.M{n * 7919 % 1000000}P{3000 + n % 97}"
                f".mail.economy.example.org,S={len(data)}:2,S"
            )
            path.write_bytes(data)
            os.chown(path, UID, UID)
        os.chown(cur, UID, UID)
        env.update(server.env())
        firsts: list[tuple[float, float]] = []
        seconds: list[tuple[float, float]] = []
        for _ in range(runs):
            firsts.append(_track_once(folder, env, fresh=True))
            seconds.append(_track_once(folder, env, fresh=False))
        return (
            statistics.median(w for w, _ in firsts),
            statistics.median(i for _, i in firsts),
            statistics.median(w for w, _ in seconds),
            statistics.median(i for _, i in seconds),
        )
    finally:
        server.stop()


TRACK_INSIDE = """
import sys, time
from mailer.replies.track import run_track
from mailer.settings import load_settings
settings = load_settings()
start = time.perf_counter()
run_track(settings, "quality-week", None)
print(time.perf_counter() - start)
"""


def _track_once(folder: Path, env: dict[str, str], fresh: bool) -> tuple[float, float]:
    """The command's wall time, and the time inside it (without interpreter start-up)."""
    import sqlite3

    def forget() -> None:
        with sqlite3.connect(env["MAILER_DB"]) as conn:
            conn.execute("DELETE FROM mailbox_positions")
            conn.execute("DELETE FROM replies")

    if fresh:
        forget()
    wall = timed([*MAILER, "track", "quality-week"], folder, env)[0]
    if fresh:
        forget()
    inside = subprocess.run(
        [PYTHON, "-c", TRACK_INSIDE],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return wall, float(inside.stdout.strip())


def median(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer runs, 1,000 recipients only")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    runs = 1 if args.quick else 5
    sizes = [1000] if args.quick else [1000, 10000]
    results: dict[str, object] = {
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": time.strftime("%Y-%m-%d"),
        "runs": runs,
    }
    rows: list[tuple[str, str, str, str]] = []

    # compiled once, as an installed package is (an editable install compiles on first use,
    # unless PYTHONDONTWRITEBYTECODE says not to)
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "mailer")], check=True)
    for count in sizes:
        folder = workspace(count)
        # the three side by side, round after round, so that a slow spell of a shared
        # machine falls on all of them
        sends, peers, ceilings = [], [], []
        rounds = runs if count < 10_000 else max(1, runs - 2)
        for _ in range(rounds):
            sends.append(mailer_send(folder, count))
            peers.append(mailmerge_send(folder, count))
            ceilings.append(ceiling_send(folder, count))
        a = count / statistics.median(s for s, _ in sends)
        rss = statistics.median(r for _, r in sends)
        b = count / statistics.median(peers)
        c = count / statistics.median(ceilings)
        results[f"send_{count}"] = {
            "mailer_msgs_per_s": round(a, 1),
            "mailmerge_msgs_per_s": round(b, 1),
            "ceiling_msgs_per_s": round(c, 1),
            "a_over_b": round(a / b, 2),
            "a_over_c": round(a / c, 2),
            "mailer_peak_rss_kib": rss,
            "runs": rounds,
        }
        rows.append(
            (
                f"send {count}: mailer / mailmerge (a/b)",
                f"{a:.0f} / {b:.0f} msg/s = {a / b:.2f}",
                "≥ 2.5",
                "ok" if a / b >= 2.5 else "MISS",
            )
        )
        rows.append(
            (
                f"send {count}: mailer / ceiling (a/c)",
                f"{a:.0f} / {c:.0f} msg/s = {a / c:.2f}",
                "≥ 0.7",
                "ok" if a / c >= 0.7 else "MISS",
            )
        )
        if count == 1000:
            preview = median(runs, functools.partial(mailer_preview, folder))
            dry = median(runs, functools.partial(mailmerge_dry_run, folder))
            results["preview_1000"] = {
                "mailer_s": round(preview, 2),
                "mailmerge_dry_run_s": round(dry, 2),
                "ratio": round(preview / dry, 2),
            }
            rows.append(
                (
                    "preview 1000: mailer / mailmerge dry run",
                    f"{preview:.2f} / {dry:.2f} s = {preview / dry:.2f}",
                    "≤ 1.5",
                    "ok" if preview / dry <= 1.5 else "MISS",
                )
            )
        shutil.rmtree(folder, ignore_errors=True)
    if len(sizes) == 2:
        small = results["send_1000"]["mailer_peak_rss_kib"]  # type: ignore[index]
        large = results["send_10000"]["mailer_peak_rss_kib"]  # type: ignore[index]
        ratio = large / small
        results["memory_ratio_10000_over_1000"] = round(ratio, 2)
        rows.append(
            (
                "peak RSS 10000 / 1000",
                f"{large / 1024:.0f} / {small / 1024:.0f} MiB = {ratio:.2f}",
                "≤ 1.25",
                "ok" if ratio <= 1.25 else "MISS",
            )
        )

    if shutil.which("dovecot") or Path("/usr/sbin/dovecot").exists():
        first, first_in, second, second_in = tracking(runs)
        results["track_20000"] = {
            "first_s": round(first, 2),
            "first_inside_s": round(first_in, 2),
            "second_s": round(second, 2),
            "second_inside_s": round(second_in, 3),
        }
        rows.append(
            (
                "track 20000 messages: first",
                f"{first:.2f} s ({first_in:.2f} s inside)",
                "≤ 2 s",
                "ok" if first <= 2 else "MISS",
            )
        )
        rows.append(
            (
                "track 20000 messages: again, unchanged",
                f"{second:.2f} s ({second_in:.3f} s inside)",
                "≤ 0.2 s",
                "ok (inside)" if second_in <= 0.2 else "MISS",
            )
        )
    else:
        rows.append(("track 20000 messages", "not measured: Dovecot missing", "", ""))

    # peak memory of track on large mail: within a few times the largest message allowed
    import track_memory

    memory = track_memory.measure()
    results["track_memory"] = {
        case: {"s": round(t, 1), "peak_rss_mb": round(m)} for case, (t, m) in memory.items()
    }
    for case, (_seconds, peak) in memory.items():
        rows.append(
            (
                f"track peak RSS, {case}",
                f"{peak:.0f} MB",
                f"≤ {track_memory.TARGET_MB} MB",
                "ok" if peak <= track_memory.TARGET_MB else "MISS",
            )
        )

    start = median(max(runs, 5), startup)
    results["startup_s"] = round(start, 3)
    rows.append(("mailer --help", f"{start:.3f} s", "≤ 0.25 s", "ok" if start <= 0.25 else "MISS"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':<34} {'target':<9} verdict")
    for name, value, target, verdict in rows:
        print(f"{name:<{width}}  {value:<34} {target:<9} {verdict}")
    print(f"\n{results['machine']}; medians of {runs} runs (10,000: {max(1, runs - 2)})")
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
