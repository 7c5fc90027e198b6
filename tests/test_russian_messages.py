"""Every command's error paths speak Russian: Click's own words, pydantic's, the network's."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailer.cli import cli
from tests.conftest import run
from tests.smtp_server import SmtpServer, free_port

# what Click, pydantic, Python's sockets and ssl say when left in English
ENGLISH = re.compile(
    r"Usage:|Error:|Missing|No such|[Ii]nvalid|Aborted|Try '|Options|Commands|OPTIONS|COMMAND"
    r"|Show this|is not|does not|Input should|Connect call|Name or service|Errno|certificate"
    r"|[Tt]imed out|Connection refused|Got unexpected|requires|Choose from|Value error"
)
# names the user types or reads in settings and paths are Latin by nature; words otherwise are not
COMMAND_WORDS = set(cli.commands) | {"mailer", "quality-week"}


def english_words(output: str) -> list[str]:
    """Runs of two or more English words outside options, settings, paths and quoted values."""
    found = []
    for line in output.splitlines():
        # a quoted value ('table', «ssl») is the user's or the setting's own word
        tokens = [t.strip("()").rstrip(".,:;!?") for t in line.split()]
        tokens = ["" if t[:1] in "'«\"" else t for t in tokens]
        run_of: list[str] = []
        for token in [*tokens, ""]:
            if re.fullmatch(r"[A-Za-z]{2,}", token) and token not in COMMAND_WORDS:
                run_of.append(token)
                continue
            if len(run_of) >= 2:
                found.append(" ".join(run_of))
            run_of = []
    return found


def assert_russian(output: str) -> None:
    assert output.strip(), "the command said nothing"
    assert not ENGLISH.search(output), output
    assert not english_words(output), (english_words(output), output)
    assert "Traceback" not in output


def command_line_errors() -> Iterator[tuple[list[str], int]]:
    yield [], 2
    yield ["sendd", "quality-week"], 2
    yield ["--bogus"], 2
    for name, command in sorted(cli.commands.items()):
        yield [name, "--help"], 0
        yield [name, "--no-such-option"], 2
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        if arguments:
            yield [name], 2
        yield [name] + ["x"] * (len(arguments) + 2), 2
    yield ["status", "quality-week", "--format", "pdf"], 2
    yield ["status", "quality-week", "--format", "xlsx"], 2
    yield ["send", "quality-week", "--only"], 2
    yield ["report", "quality-week", "--out", "recipients.csv"], 2
    yield ["mark", "quality-week", "gryazi"], 2
    yield ["mark", "quality-week", "gryazi", "--replied", "--date", "вчера"], 2
    yield ["mark", "quality-week", "--review", "один"], 2
    yield ["--env-file", "no-such.env", "letters"], 2


@pytest.mark.parametrize(
    ("args", "code"),
    list(command_line_errors()),
    ids=[" ".join(a) for a, _ in command_line_errors()],
)
def test_command_line_errors_are_russian(workdir: Path, args: list[str], code: int) -> None:
    result = run(args)
    assert result.exit_code == code, result.output
    assert_russian(result.output)


def test_help_is_russian(workdir: Path) -> None:
    result = run(["--help"])
    assert result.output.startswith("Вызов: cli [ПАРАМЕТРЫ] КОМАНДА [АРГУМЕНТЫ]...")
    assert "Команды:" in result.output
    assert_russian(result.output)
    missing = run(["send"])
    assert missing.output.splitlines()[-1] == "Ошибка в команде. Не указан аргумент 'ПИСЬМО'."
    unknown = run(["sendd"])
    assert "Нет такой команды: 'sendd'. Может быть, имелось в виду 'send'?" in unknown.output
    choice = run(["status", "quality-week", "--format", "pdf"])
    assert "'pdf' — не из допустимых значений: 'table', 'json', 'csv', 'xlsx'." in choice.output


def test_end_of_input_at_the_prompt_is_russian(workdir: Path, smtp_server: SmtpServer) -> None:
    result = run(["send", "quality-week"], env=smtp_server.env(), input="")
    assert result.exit_code != 0
    assert_russian(result.output)
    assert smtp_server.handler.messages == []


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("MAILER_SMTP_PORT", "двадцать пять", "MAILER_SMTP_PORT: ожидается целое число"),
        ("MAILER_SMTP_PORT", "70000", "MAILER_SMTP_PORT: должно быть не больше 65535"),
        ("MAILER_SMTP_SECURITY", "ssl", "допустимые значения: 'none', 'starttls' или 'tls'"),
        ("MAILER_SMTP_VERIFY_CERT", "наверное", "MAILER_SMTP_VERIFY_CERT: ожидается true или"),
        ("MAILER_SMTP_TIMEOUT", "0", "MAILER_SMTP_TIMEOUT: должно быть больше 0"),
    ],
)
def test_settings_errors_are_russian_sentences(
    workdir: Path, variable: str, value: str, said: str
) -> None:
    result = run(["letters"], env={variable: value})
    assert result.exit_code == 4
    assert said in result.output
    assert_russian(result.output)


def test_a_letter_settings_error_is_russian(workdir: Path) -> None:
    toml = workdir / "letters" / "quality-week" / "letter.toml"
    toml.write_text("read_receipt = 'может быть'\n" + toml.read_text(encoding="utf-8"))
    result = run(["check", "quality-week"])
    assert result.exit_code == 3
    assert "read_receipt: ожидается true или false" in result.output
    assert_russian(result.output)


def test_refused_connection_is_said_in_russian(workdir: Path, smtp_server: SmtpServer) -> None:
    result = run(
        ["send", "quality-week", "--yes"],
        env=smtp_server.env(MAILER_SMTP_PORT=str(free_port())),
    )
    assert result.exit_code == 5
    assert "соединение отклонено" in result.output
    assert "Проверьте MAILER_SMTP_HOST, MAILER_SMTP_PORT и MAILER_SMTP_SECURITY" in result.output
    assert_russian(result.output)


def test_silent_server_is_said_in_russian(workdir: Path, smtp_server: SmtpServer) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        env = smtp_server.env(
            MAILER_SMTP_PORT=str(silent.getsockname()[1]), MAILER_SMTP_TIMEOUT="0.5"
        )
        result = run(["send", "quality-week", "--yes"], env=env)
    assert result.exit_code == 5
    assert "сервер не ответил вовремя" in result.output
    assert_russian(result.output)


def test_tls_mismatch_and_certificate_are_said_in_russian(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    wrong_mode = run(
        ["send", "quality-week", "--yes"], env=smtp_server.env(MAILER_SMTP_SECURITY="tls")
    )
    assert wrong_mode.exit_code == 5
    assert "защищённое соединение (TLS) не установилось" in wrong_mode.output
    assert_russian(wrong_mode.output)
    env = smtp_server.env()
    del env["MAILER_SMTP_CA_FILE"]
    untrusted = run(["send", "quality-week", "--yes"], env=env)
    assert untrusted.exit_code == 5
    assert "удостоверяющий центр, выдавший сертификат, не входит в доверенные" in untrusted.output
    assert_russian(untrusted.output)
    assert smtp_server.handler.messages == []


def test_unreachable_mailbox_is_said_in_russian(workdir: Path, smtp_server: SmtpServer) -> None:
    run(["send", "quality-week", "--yes"], env=smtp_server.env())
    env = {"MAILER_IMAP_HOST": "127.0.0.1", "MAILER_IMAP_PORT": str(free_port())}
    env["MAILER_IMAP_SECURITY"] = "none"
    result = run(["track", "quality-week"], env=env)
    assert result.exit_code == 5
    assert "Не удалось связаться с почтовым ящиком 127.0.0.1" in result.output
    assert_russian(result.output)


def test_a_bad_address_in_the_list_is_explained_in_russian(workdir: Path) -> None:
    (workdir / "r.csv").write_text(
        "id,email,ФИО\nа,glava@@gryazi.example.org,Уварова Наталья Ивановна\n"
        "б,glava@gryazi,Уварова Наталья Ивановна\n",
        encoding="utf-8",
    )
    result = run(["check", "quality-week", "-r", "r.csv"])
    assert result.exit_code == 3
    assert "в домене после @ нет точки" in result.output
    assert_russian(result.output)


def test_a_damaged_workbook_and_a_huge_field_are_explained_in_russian(workdir: Path) -> None:
    (workdir / "list.xlsx").write_bytes(b"this is not a workbook")
    damaged = run(["check", "quality-week", "-r", "list.xlsx"])
    assert damaged.exit_code == 3
    assert "файл Excel не открывается: файл повреждён или это не книга Excel .xlsx" in (
        damaged.output
    )
    assert_russian(damaged.output)
    (workdir / "list.csv").write_text("id,email\n1," + "x" * 200_000 + "\n")
    huge = run(["check", "quality-week", "-r", "list.csv"])
    assert huge.exit_code == 3
    assert "строка 2: слишком длинное поле" in huge.output
    assert_russian(huge.output)


def test_a_connection_lost_while_sending_is_said_in_russian(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.drop_in_data = 1
    env = smtp_server.env(MAILER_SMTP_CONNECTIONS="1")
    result = run(["send", "quality-week", "--yes"], env=env)
    assert result.exit_code == 1
    assert (
        "соединение прервалось во время передачи письма, ответ сервера не получен: "
        "сервер закрыл соединение" in result.output
    )
    assert_russian(result.output)


def test_click_still_says_its_words_through_gettext() -> None:
    """click_ru leans on Click's modules calling a module-level ``_``: if an upgrade moves that,
    this fails first, saying what moved."""
    import importlib
    import inspect

    from mailer.click_ru import _CLICK_MODULES, RUSSIAN, gettext

    source = ""
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if name in ("core", "exceptions", "types", "termui", "formatting"):
            assert getattr(module, "_", None) is gettext, f"click.{name} has no `_` any more"
        source += inspect.getsource(module)
    for message in (
        "Usage:",
        "Missing argument",
        "No such option {name!r}.",
        "Aborted!",
        "No such command {name!r}.",
        "Error: {message}",
        "Options",
        "Commands",
    ):
        assert f'"{message}"' in source, f"Click no longer says {message!r}"
        assert message in RUSSIAN
