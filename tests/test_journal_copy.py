"""`mailer journal copy`: a SQLite journal moved into PostgreSQL, verified, the file untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import run
from tests.pg_server import PgServer, query
from tests.smtp_server import SmtpServer


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("journal.db*"))
    }


@pytest.mark.slow
def test_a_sqlite_journal_is_copied_verified_and_left_untouched(
    workdir: Path, smtp_server: SmtpServer, postgres: PgServer, journal_db: str
) -> None:
    sent = run(["send", "quality-week", "--yes"], env=smtp_server.env(MAILER_OPERATOR="Иванова"))
    assert sent.exit_code == 0, sent.output
    assert run(["mark", "quality-week", "usman", "--replied", "--note", "СЭД"]).exit_code == 0
    before = fingerprint(workdir)
    assert "journal.db" in before
    target = postgres.new_database()

    result = run(["journal", "copy", "--to", target])
    assert result.exit_code == 0, result.output
    assert "сверен" in result.output
    assert "deliveries: 20" in result.output
    assert "events: 61" in result.output  # 20 × (pending, sending, sent) and the mark
    assert fingerprint(workdir) == before  # byte for byte, and no file beside it

    for table, order in [("deliveries", "id"), ("events", "id"), ("replies", "id"),
                         ("letters", "key")]:  # fmt: skip
        select = f"SELECT * FROM {table} ORDER BY {order}"  # noqa: S608 - our names
        assert query(target, select) == query(journal_db, select), table

    # the office goes on from the copy: status reads it, new rows take new ids
    moved = {"MAILER_DB": target, "MAILER_OPERATOR": "Петров"}
    status = run(["status", "quality-week", "--format", "json"], env=moved)
    assert status.exit_code == 0, status.output
    assert run(["mark", "quality-week", "gryazi", "--replied"], env=moved).exit_code == 0
    history = run(["history", "quality-week", "gryazi"], env=moved)
    assert "Иванова" in history.output
    assert "Петров" in history.output

    # a second copy onto a journal that is not empty is refused, nothing changed
    again = run(["journal", "copy", "--to", target])
    assert again.exit_code != 0
    assert "уже есть журнал" in again.output
    assert "Traceback" not in again.output
    assert fingerprint(workdir) == before
