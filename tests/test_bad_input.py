"""Bad input: each case gives a clear error naming the file, row or field, and sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import run
from tests.smtp_server import SmtpServer

HEADER = "id,email,full_name,position,organization\n"
ROW = (
    "gryazi,glava@gryazi.example.org,Уварова Наталья Ивановна,"
    "Глава Грязинского муниципального округа,Грязинский МО\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


LETTER = Path("letters/quality-week")

# (name, how to break the working folder, exit code, words the message must contain)
CASES: list[tuple[str, Callable[[Path], object], int, list[str]]] = [
    (
        "missing email column",
        lambda d: write(d / "recipients.csv", "id,full_name\n1,Уварова Наталья Ивановна\n"),
        3,
        ["recipients.csv", "строка 1", "нет столбца email"],
    ),
    (
        "bad address",
        lambda d: write(
            d / "recipients.csv", HEADER + ROW.replace("glava@gryazi", "glava at gryazi")
        ),
        3,
        ["строка 2", "адрес «glava»", "неверен"],
    ),
    (
        "duplicate id",
        lambda d: write(d / "recipients.csv", HEADER + ROW + ROW.replace("glava@", "priemnaya@")),
        3,
        ["строка 3", "id «gryazi» уже был в строке 2"],
    ),
    (
        "duplicate address",
        lambda d: write(d / "recipients.csv", HEADER + ROW + ROW.replace("gryazi,", "gryazi2,", 1)),
        3,
        ["строка 3", "адрес glava@gryazi.example.org уже был в строке 2"],
    ),
    (
        "newline inside a name",
        lambda d: write(
            d / "recipients.csv",
            HEADER + ROW.replace("Уварова Наталья Ивановна", '"Уварова\nBcc: x@evil.example"'),
        ),
        3,
        ["строка 2", "full_name", "перевод строки"],
    ),
    (
        "control character",
        lambda d: write(d / "recipients.csv", HEADER + ROW.replace("Уварова", "Ува\x07рова")),
        3,
        ["строка 2", "управляющий символ U+0007"],
    ),
    (
        "empty list",
        lambda d: write(d / "recipients.csv", ""),
        3,
        ["recipients.csv", "список пуст"],
    ),
    (
        "header only",
        lambda d: write(d / "recipients.csv", HEADER),
        3,
        ["нет ни одного получателя"],
    ),
    (
        "missing id and name",
        lambda d: write(d / "recipients.csv", HEADER + ",glava@gryazi.example.org,,,\n"),
        3,
        ["строка 2", "не заполнен id", "не заполнено ФИО"],
    ),
    (
        "list file missing",
        lambda d: (d / "recipients.csv").unlink(),
        3,
        ["recipients.csv", "файл не найден"],
    ),
    (
        "unknown template variable",
        lambda d: edit(d / LETTER / "body.j2", "Ежегодно", "{{ recipient.district }} Ежегодно"),
        3,
        ["body.j2", "строка 3", "district"],
    ),
    (
        "template syntax error",
        lambda d: edit(d / LETTER / "body.j2", "Ежегодно", "{% if %} Ежегодно"),
        3,
        ["body.j2", "строка 3", "синтаксиса"],
    ),
    (
        "missing attachment",
        lambda d: edit(
            d / LETTER / "letter.toml", "\ndeadline = ", '\nattachments = ["План.pdf"]\ndeadline = '
        ),
        3,
        ["План.pdf", "не найден"],
    ),
    (
        "broken settings file",
        lambda d: edit(d / LETTER / "letter.toml", 'subject = "О', "subject = О"),
        3,
        ["letter.toml", "строка 5"],
    ),
    (
        "missing required field",
        lambda d: edit(d / LETTER / "letter.toml", 'name = "К.В. Дождиков"\n', ""),
        3,
        ["letter.toml", "signatory.name", "не заполнено"],
    ),
    (
        "misspelt field",
        lambda d: edit(d / LETTER / "letter.toml", "\ndeadline =", "\ndedline ="),
        3,
        ["dedline", "неизвестное поле"],
    ),
    (
        "bad date",
        lambda d: edit(d / LETTER / "letter.toml", "date = 2023-10-12", 'date = "12.10.2023"'),
        3,
        ["registration.date", "ГГГГ-ММ-ДД"],
    ),
    (
        "deadline before the letter",
        lambda d: edit(
            d / LETTER / "letter.toml", "deadline = 2023-11-20", "deadline = 2023-01-20"
        ),
        3,
        ["срок ответа", "раньше даты письма"],
    ),
    (
        "list letter without group",
        lambda d: edit(d / LETTER / "letter.toml", 'mode = "personal"', 'mode = "list"'),
        3,
        ["[group]"],
    ),
    (
        "unknown letter",
        lambda d: None,
        3,
        ["не найдено", "quality-week"],
    ),
    (
        "gender cannot be told",
        lambda d: write(
            d / "recipients.csv",
            HEADER + "x,x@mo.example.org,Ким Саша,Глава округа,Округ\n",
        ),
        3,
        ["строка 2", "пол"],
    ),
    (
        "bad settings value",
        lambda d: write(d / ".env", "MAILER_SMTP_CONNECTIONS=many\n"),
        4,
        ["MAILER_SMTP_CONNECTIONS", ".env"],
    ),
]


@pytest.mark.parametrize(("name", "breakage", "code", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported_and_nothing_is_sent(
    workdir: Path,
    smtp_server: SmtpServer,
    name: str,
    breakage: Callable[[Path], object],
    code: int,
    words: list[str],
) -> None:
    breakage(workdir)
    letter = "no-such-letter" if name == "unknown letter" else "quality-week"
    result = run(["send", letter, "--yes"], env=smtp_server.env())
    assert result.exit_code == code, result.output
    for word in words:
        assert word in result.output, (word, result.output)
    assert "Traceback" not in result.output
    assert smtp_server.handler.messages == []
    # The same checks stop a preview too.
    if code == 3:
        assert run(["preview", letter], env=smtp_server.env()).exit_code == 3


def test_all_problems_of_a_list_are_reported_at_once(workdir: Path) -> None:
    write(
        workdir / "recipients.csv",
        HEADER
        + ROW
        + "a,not-an-address,Иванов Иван Иванович,Глава,МО\n"
        + "gryazi,b@mo.example.org,Петров Пётр Петрович,Глава,МО\n"
        + "c,c@mo.example.org,,Глава,МО\n",
    )
    result = run(["preview", "quality-week"])
    assert result.exit_code == 3
    assert "найдено проблем: 3" in result.output
    for row in ("строка 3", "строка 4", "строка 5"):
        assert row in result.output


def test_windows_1251_semicolon_csv_from_excel_works(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    text = (
        "Код;Почта;ФИО;Должность;Организация\r\n"
        "gryazi;glava@gryazi.example.org;Уварова Наталья Ивановна;"
        "Глава Грязинского муниципального округа;Грязинский муниципальный округ\r\n"
        "elets;glava@elets.example.org, priemnaya@elets.example.org;Соловьёва Елена Петровна;"
        "Глава городского округа город Елец;Городской округ город Елец\r\n"
    )
    write(workdir / "список.csv", text, encoding="cp1251")
    result = run(["send", "quality-week", "-r", "список.csv", "--yes"], env=smtp_server.env())
    assert result.exit_code == 0, result.output
    assert sorted(len(m.rcpt_tos) for m in smtp_server.handler.messages) == [1, 2]


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", "\t"), ("utf-8", ";")]
)
def test_csv_dialects(workdir: Path, encoding: str, delimiter: str) -> None:
    from mailer.recipients import load_recipients

    text = (HEADER + ROW).replace(",", delimiter)
    recipients = load_recipients(write(workdir / "r.csv", text, encoding=encoding))
    (only,) = recipients.recipients
    assert only.id == "gryazi"
    assert only.full_name == "Уварова Наталья Ивановна"
    assert only.organization == "Грязинский МО"


def test_xlsx_list_with_russian_headers(workdir: Path) -> None:
    from mailer.recipients import load_recipients

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["№", "E-mail", "Ф.И.О.", "Должность", "Пол", "Район"])
    sheet.append([1, "a@mo.example.org; b@mo.example.org", "Ким Саша", "Глава", "Ж", "Северный"])
    book.save(workdir / "list.xlsx")
    (only,) = load_recipients(workdir / "list.xlsx").recipients
    assert only.id == "1"
    assert only.emails == ("a@mo.example.org", "b@mo.example.org")
    assert only.gender == "f"
    assert only.extra == {"Район": "Северный"}
