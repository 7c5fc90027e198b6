"""Fault injection: a server that answers 421, 451, 452 or 550, drops the connection before
DATA, at the DATA command (before its 354) or during DATA, or stalls. Over 500 letters, every
recipient ends sent exactly once, refused with the server's reason, not sent (still owed), or
uncertain; none lost, none duplicated; and the journal agrees with what the server received."""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import parse_strict, run
from tests.smtp_server import SmtpServer, start_server

COUNT = 500
_N = re.compile(r"glava(\d+)@")


class FaultyHandler:
    """Decides per recipient, from a seeded schedule, how the server misbehaves."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        faults = (
            ["rcpt550"] * 15
            + ["rcpt421"] * 10
            + ["rcpt451"] * 15
            + ["data451"] * 20
            + ["data452"] * 15
            + ["data421"] * 10
            + ["drop_data"] * 8
            + ["drop_data_command"] * 8
            + ["stall"] * 4
            + ["always451"] * 5
        )
        plan = faults + ["ok"] * (COUNT - len(faults))
        rng.shuffle(plan)
        self.plan = dict(enumerate(plan))
        self.seen: Counter[int] = Counter()
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    def _fault(self, address: str, stage: str) -> str | None:
        match = _N.search(address)
        if not match:
            return None
        n = int(match[1])
        fault = self.plan[n]
        with self.lock:
            self.seen[n] += 1 if stage == "rcpt" else 0
            first = self.seen[n] == 1
        if fault == "always451" and stage == "data":
            return fault
        if not first:
            return None  # each other fault happens once; the retry gets through
        wanted = {
            "rcpt": ("rcpt550", "rcpt421", "rcpt451"),
            "data_command": ("drop_data_command",),
            "data": ("data451", "data452", "data421", "drop_data", "stall"),
        }[stage]
        return fault if fault in wanted else None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        fault = self._fault(address, "rcpt")
        if fault == "rcpt550":
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if fault == "rcpt421":
            server.transport.close()
            return "421 4.4.2 Closing connection"
        if fault == "rcpt451":
            return "451 4.7.1 Greylisted, try again"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def drop_at_data_command(self, envelope: Any) -> bool:
        """Closes the connection at DATA, before the 354: the letter never left."""
        return self._fault(envelope.rcpt_tos[0], "data_command") == "drop_data_command"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        fault = self._fault(envelope.rcpt_tos[0], "data")
        if fault in ("data451", "always451"):
            return "451 4.3.0 Try again later"
        if fault == "data452":
            return "452 4.5.3 Too many messages, slow down"
        if fault == "data421":
            return "421 4.7.0 Too many connections, slow down"
        with self.lock:
            self.received.append(envelope.original_content)
        if fault == "drop_data":
            server.transport.close()  # the message arrived; the answer never leaves
            return "250 2.0.0 Ok"
        if fault == "stall":
            await asyncio.sleep(3)  # longer than the client waits
        return "250 2.0.0 Ok"


def _write_list(path: Path) -> None:
    rows = ["id,email,full_name,position,organization"]
    rows += [
        f"r{n:03d},glava{n}@mo{n}.example.org,Иванов Иван Петрович,Глава округа,Округ {n}"
        for n in range(COUNT)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_faults_over_500_letters(workdir: Path, tmp_path: Path) -> None:
    _write_list(workdir / "recipients.csv")
    handler = FaultyHandler(seed=20261125)
    (tmp_path / "srv").mkdir()
    server: SmtpServer = start_server(tmp_path / "srv", handler)  # type: ignore[arg-type]
    try:
        env = server.env(
            MAILER_SMTP_TIMEOUT="1.5", MAILER_SMTP_MAX_ATTEMPTS="3", MAILER_SMTP_RETRY_DELAY="0.01"
        )
        result = run(["send", "quality-week", "--yes"], env=env)
    finally:
        server.controller.stop()
    assert result.exit_code == 1, result.output  # refused, owed and uncertain ones remain
    assert "Traceback" not in result.output

    with sqlite3.connect(workdir / "journal.db") as conn:
        rows = conn.execute("SELECT recipient_id, state, last_error FROM deliveries").fetchall()
        retried_early = {
            rid
            for (rid,) in conn.execute(
                "SELECT d.recipient_id FROM events e JOIN deliveries d ON d.id = e.delivery_id "
                "WHERE e.state = 'pending' AND e.detail LIKE '%до передачи письма%'"
            )
        }
    received = Counter(str(parse_strict(data)["X-Mailer-Recipient"]) for data in handler.received)

    assert len(rows) == COUNT  # none lost
    assert max(received.values()) == 1  # none duplicated
    states = Counter(state for _, state, _ in rows)
    for rid, state, error in rows:
        n = int(rid[1:])
        fault = handler.plan[n]
        if state == "sent":
            assert received[rid] == 1, (rid, fault)
        elif state == "failed":
            assert fault == "rcpt550", (rid, fault)
            assert received[rid] == 0
            assert "550 5.1.1" in error
        elif state == "pending":  # temporary failures outlasted the attempts: still owed
            assert fault == "always451", (rid, fault)
            assert received[rid] == 0
            assert "451" in error
        else:
            assert state == "uncertain", (rid, state)
            assert fault in ("drop_data", "stall"), (rid, fault)
            assert received[rid] <= 1
    assert states["failed"] == 15
    assert states["pending"] == 5
    assert states["uncertain"] == 12
    assert states["sent"] == COUNT - 32
    # lost before the 354 the letter never left: sent again, not left for the operator
    early = {
        rid: state for rid, state, _ in rows if handler.plan[int(rid[1:])] == "drop_data_command"
    }
    assert list(early.values()) == ["sent"] * 8
    assert retried_early == set(early)  # each was dropped at DATA, then sent on the retry
    # every one of them is listed for the operator
    for rid, state, _ in rows:
        if state != "sent":
            assert f"  {rid}: " in result.output, rid
