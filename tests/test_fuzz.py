"""Bad input at scale: whatever the recipient list or the letter's settings, mailer either sends
correct letters to everyone on the list or stops with a clear error before sending anything;
never a traceback, never a half-sent run caused by input it could have checked first."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mailer.cli import cli
from tests.conftest import REPO, parse_strict
from tests.smtp_server import SmtpServer, start_server

pytestmark = pytest.mark.slow

CLEAR_ERRORS = {3, 4}  # input and settings errors: nothing sent

good_emails = st.builds(
    lambda user, n: f"{user}{n}@mo{n}.example.org",
    st.sampled_from(["glava", "priemnaya", "zam.glavy", "a_b", "x-y"]),
    st.integers(0, 50),
)
bad_emails = st.sampled_from(
    [
        "",
        "glava",
        "glava@",
        "@mo.example.org",
        "a b@mo.example.org",
        "glava@mo",
        "глава@мо.рф",
        "a@@b.example.org",
        "a@b..example.org",
        "<a@b.example.org>",
        "a@b.example.org,",
    ]
)
names = st.one_of(
    st.sampled_from(
        [
            "Уварова Наталья Ивановна",
            "Черных Вячеслав Тимофеевич",
            "Ким Саша",
            "Жук",
            "Петрова-Водкина Ольга Сергеевна",
            "Smith John",
            "",
        ]
    ),
    st.text(max_size=30),
)
cells = st.one_of(
    st.text(max_size=12), st.sampled_from(["", " ", '"', ";", "\n", "\x00", "М", "Ж"])
)
rows = st.lists(
    st.tuples(
        st.one_of(st.from_regex(r"[a-z]{1,4}[0-9]{0,2}", fullmatch=True), cells),
        st.one_of(good_emails, bad_emails, cells),
        names,
        st.one_of(st.just("Глава округа"), cells),
        cells,
    ),
    min_size=0,
    max_size=8,
)
headers = st.sampled_from(
    [
        ["id", "email", "full_name", "position", "gender"],
        ["Код", "Почта", "ФИО", "Должность", "Пол"],
        ["id", "e-mail", "name", "title", "sex"],
        ["id", "full_name", "position", "gender", "email"],
        ["ident", "mail address", "who", "what", "x"],
    ]
)


def _csv(header: list[str], body: list[tuple[str, ...]], delimiter: str) -> str:
    def quote(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(quote(v) for v in header)]
    lines += [delimiter.join(quote(v) for v in row) for row in body]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    smtp = start_server(tmp_path_factory.mktemp("smtp"))
    try:
        yield smtp
    finally:
        smtp.controller.stop()


@contextmanager
def working_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="mailer-fuzz-"))
    shutil.copytree(REPO / "letters", folder / "letters")
    old = Path.cwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(old)
        shutil.rmtree(folder, ignore_errors=True)


def _send(server: SmtpServer, folder: Path) -> tuple[int, str, list[bytes]]:
    before = len(server.handler.messages)
    env = {**server.env(), "MAILER_DB": str(folder / "journal.db")}
    result = CliRunner().invoke(
        cli, ["send", "quality-week", "--yes"], env=env, catch_exceptions=False
    )
    return result.exit_code, result.output, [m.data for m in server.handler.messages[before:]]


def _check(code: int, output: str, received: list[bytes], expected: int | None) -> None:
    assert "Traceback" not in output
    event(f"exit code {code}")
    if code == 0:
        assert expected is not None
        assert len(received) == expected
        ids = [str(parse_strict(data)["X-Mailer-Recipient"]) for data in received]
        assert len(set(ids)) == len(ids)
    else:
        assert code in CLEAR_ERRORS, output
        assert received == [], "a half-sent run"
        assert output.strip()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=headers,
    body=rows,
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]),
)
def test_any_recipient_list(
    server: SmtpServer,
    header: list[str],
    body: list[tuple[str, ...]],
    delimiter: str,
    encoding: str,
) -> None:
    with working_folder() as folder:
        text = _csv(header, body, delimiter)
        (folder / "recipients.csv").write_bytes(text.encode(encoding, errors="replace"))
        from mailer.errors import MailerError
        from mailer.recipients import load_recipients

        try:
            expected: int | None = len(load_recipients(folder / "recipients.csv"))
        except MailerError:
            expected = None
        code, output, received = _send(server, folder)
        _check(code, output, received, expected)


SETTINGS_LINES = (
    (REPO / "letters" / "quality-week" / "letter.toml").read_text(encoding="utf-8").splitlines()
)
values = st.one_of(
    st.sampled_from(
        [
            '""',
            '"x"',
            "2023-02-30",
            "0",
            "-1",
            "true",
            "[1, 2]",
            '"12.10.2023"',
            "2023-10-12",
            "{}",
            '"list"',
            "1e400",
            "'''",
        ]
    ),
    st.text(max_size=15).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    line=st.integers(0, len(SETTINGS_LINES) - 1),
    action=st.sampled_from(["delete", "value", "duplicate", "garbage"]),
    value=values,
)
def test_any_letter_settings(server: SmtpServer, line: int, action: str, value: str) -> None:
    with working_folder() as folder:
        shutil.copy(REPO / "recipients.csv", folder / "recipients.csv")
        lines = list(SETTINGS_LINES)
        if action == "delete":
            del lines[line]
        elif action == "duplicate":
            lines.insert(line, lines[line])
        elif action == "garbage":
            lines.insert(line, value)
        elif "=" in lines[line]:
            key = lines[line].split("=", 1)[0]
            lines[line] = f"{key}= {value}"
        (folder / "letters" / "quality-week" / "letter.toml").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )
        code, output, received = _send(server, folder)
        _check(code, output, received, 20)
