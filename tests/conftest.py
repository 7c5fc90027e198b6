from __future__ import annotations

import email.policy
import shutil
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailer.cli import cli
from tests.imap_server import Dovecot, start_dovecot
from tests.pg_server import PgServer, start_postgres
from tests.smtp_server import SmtpServer, start_server

REPO = Path(__file__).resolve().parent.parent


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module with BOTH_ENGINES = True runs each test using the journal on SQLite and on
    PostgreSQL. The PostgreSQL runs are slow (a server, a database each): the quick run while
    developing leaves them to CI."""
    if "journal_db" not in metafunc.fixturenames or not getattr(
        metafunc.module, "BOTH_ENGINES", False
    ):
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if isinstance(mark.args[0], str) else ",".join(mark.args[0])
        if "journal_db" in names:
            return  # the test chose its engine (a test of the SQLite file itself)
    metafunc.parametrize(
        "journal_db",
        ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)],
        indirect=True,
    )


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def journal_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The journal's MAILER_DB: a SQLite file, or a fresh PostgreSQL database's URL."""
    if getattr(request, "param", "sqlite") == "postgresql":
        server: PgServer = request.getfixturevalue("postgres")
        return server.new_database()
    return str(tmp_path / "journal.db")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, journal_db: str) -> Path:
    """A working folder laid out as a user's: the sample letters and list, no .env."""
    shutil.copytree(REPO / "letters", tmp_path / "letters")
    shutil.copy(REPO / "recipients.csv", tmp_path / "recipients.csv")
    monkeypatch.chdir(tmp_path)
    for name in list(__import__("os").environ):
        if name.startswith("MAILER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MAILER_DB", journal_db)
    return tmp_path


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    server = start_server(tmp_path)
    try:
        yield server
    finally:
        server.controller.stop()


def run(args: list[str], env: dict[str, str] | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, args, env=env, input=input, catch_exceptions=False)


def parse_strict(data: bytes) -> EmailMessage:
    """Parse received bytes with the modern policy; any defect fails the test."""
    message = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    for part in message.walk():
        assert not part.defects, part.defects
        for name, value in part.items():
            assert not getattr(value, "defects", ()), (name, value.defects)
    return message


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()
