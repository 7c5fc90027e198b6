"""The boss's view: status in every format, the XLSX summary and the DOCX справка, read back."""

from __future__ import annotations

import csv
import datetime
import datetime as dt
import io
import json
from pathlib import Path

import docx
import openpyxl

from mailer.typography import plain
from tests.conftest import run
from tests.mail_corpus import bounce, parse, reply
from tests.smtp_server import SmtpServer

REG = "02-06-4425И38/10/-3327"


def sent_and_answered(workdir: Path, smtp_server: SmtpServer) -> None:
    assert run(["send", "quality-week", "--yes"], env=smtp_server.env()).exit_code == 0
    sent = {
        str(parse(m.data)["X-Mailer-Recipient"]): parse(m.data)
        for m in smtp_server.handler.messages
    }
    export = workdir / "export"
    export.mkdir()
    (export / "1.eml").write_bytes(
        reply(sent["gryazi"], "glava@gryazi.example.org", "Ответ.", message_id="<1@g.example.org>")
    )
    (export / "2.eml").write_bytes(
        bounce(
            sent["zadonsk"],
            "glava@zadonsk.example.org",
            with_original=True,
            message_id="<2@r.example.org>",
        )
    )
    assert run(["track", "quality-week", "--source", str(export)]).exit_code == 0
    assert (
        run(["mark", "quality-week", "elets", "--replied", "--note", "по телефону"]).exit_code == 0
    )


def test_report_writes_the_summary_and_the_reference(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    sent_and_answered(workdir, smtp_server)
    result = run(["report", "quality-week"])
    assert result.exit_code == 0, result.output
    assert "Ответили 2 из 20; не ответили 17, срок истёк у 17; не доставлено 1." in result.output
    (xlsx,) = (workdir / "reports").glob("Сводка*.xlsx")
    (reference,) = (workdir / "reports").glob("Справка*.docx")

    book = openpyxl.load_workbook(xlsx)
    sheet = book.active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows.index(
        [
            "№",
            "Адресат",
            "Код",
            "Адреса",
            "Отправлено",
            "Напоминаний",
            "Ответ получен",
            "Как получен",
            "Состояние",
            "Срок",
            "Примечание",
        ]
    )
    body = rows[header + 1 : header + 21]
    by_id = {row[2]: row for row in body}
    assert by_id["gryazi"][1] == "Грязинский муниципальный округ"
    assert by_id["gryazi"][8] == "ответил"
    assert by_id["gryazi"][7] == "по переписке"
    assert by_id["elets"][7] == "отмечено вручную"
    assert by_id["zadonsk"][8] == "не доставлено"
    assert by_id["volovo"][8] == "срок истёк"
    assert str(by_id["volovo"][9]).startswith("просрочено на ")
    fills = {
        sheet.cell(header + 1 + i, 3).value: sheet.cell(header + 1 + i, 1).fill.fgColor.rgb
        for i in range(1, 21)
    }
    assert fills["gryazi"].endswith("C6EFCE")  # answered: green
    assert fills["volovo"].endswith("FFC7CE")  # overdue: red
    # printed landscape, one page wide, the header row on every page; frozen and filtered
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    fit = sheet.sheet_properties.pageSetUpPr
    assert fit is not None
    assert fit.fitToPage
    assert sheet.print_title_rows == f"${header + 1}:${header + 1}"
    assert sheet.freeze_panes == f"A{header + 2}"
    assert sheet.auto_filter.ref == f"A{header + 1}:K{header + 21}"
    # dates are dates, shown as dates; no "г.."
    sent_at = sheet.cell(header + 2, 5)
    assert isinstance(sent_at.value, dt.datetime)
    assert sent_at.number_format == "DD.MM.YYYY HH:MM"
    assert isinstance(by_id["gryazi"][6], dt.datetime)
    assert by_id["volovo"][6] is None
    assert not any("г.." in str(value) for row in rows for value in row)
    assert rows[1][0] == "Срок ответа: 20 ноября 2023 г. По состоянию на " + (
        dt.date.today().strftime("%d.%m.%Y") + "."
    )
    # every column as wide as its longest value (up to a wrap), its header's words whole
    for index, title in enumerate(rows[header], start=1):
        width = sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width
        values = [
            str(r[index - 1] or "") for r in body if not isinstance(r[index - 1], dt.datetime)
        ]
        longest = max([len(w) for w in str(title).split()] + [min(len(v), 48) for v in values])
        assert width >= longest, (title, width, longest)
    totals = {row[1]: row[2] for row in rows[header + 21 :] if row[1]}
    assert totals["Ответили"] == 2
    assert totals["Срок истёк"] == 17
    assert totals["Не доставлено"] == 1

    document = docx.Document(str(reference))
    text = plain("\n".join(p.text for p in document.paragraphs))
    assert "УПРАВЛЕНИЕ\nЭКОНОМИЧЕСКОГО РАЗВИТИЯ\nЛИПЕЦКОЙ ОБЛАСТИ" in text
    assert "СПРАВКА\n___________ № _______________" in text
    assert f"Об исполнении письма от 12.10.2023 № {REG}\n«О Всемирной неделе качества»" in text
    assert (
        f"Письмо от 12.10.2023 № {REG} «О Всемирной неделе качества» направлено 20 адресатам "
        "со сроком ответа до 20 ноября 2023 г. По состоянию на "
    ) in text
    assert "ответы поступили от 2 адресатов." in text
    assert "Не ответили 17 адресатов, срок ответа истек у 17 адресатов." in text
    assert "Письмо не доставлено 1 адресату" in text
    assert "г.." not in text
    table = document.tables[0]
    assert [plain(c.text) for c in table.rows[0].cells] == [
        "№",
        "Адресат",
        "Отправлено",
        "Ответ (вх. № и дата)",
        "Напоминаний",
        "Состояние",
    ]
    assert len(table.rows) == 21
    gryazi = next(r for r in table.rows if r.cells[1].text == "Грязинский муниципальный округ")
    assert gryazi.cells[5].text == "ответил"
    assert gryazi.cells[3].text.startswith("от ")  # the reply's own date
    # signed by the executor's head, as letter.toml's [executor.head] says
    signature = [plain(c.text) for c in document.tables[1].rows[0].cells]
    assert signature[0] == "Начальник отдела"
    assert "О.В. Ильина" in signature

    # a second report never overwrites the first
    assert run(["report", "quality-week"]).exit_code == 0
    assert len(list((workdir / "reports").glob("Сводка*.xlsx"))) == 2


def test_status_formats(workdir: Path, smtp_server: SmtpServer) -> None:
    sent_and_answered(workdir, smtp_server)
    table = run(["status", "quality-week"])
    assert table.exit_code == 0
    assert "Срок ответа: 20 ноября 2023 г." in table.output
    assert "ответил" in table.output
    assert "просрочено на" in table.output
    assert "ответили 2" in table.output

    rows = json.loads(run(["status", "quality-week", "--format", "json"]).output)
    assert {r["id"]: r["state"] for r in rows}["gryazi"] == "replied"
    assert all(r["overdue"] for r in rows if r["state"] == "sent")

    out = run(["status", "quality-week", "--format", "csv", "--output", "s.csv"])
    assert out.exit_code == 0
    data = (workdir / "s.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(parsed) == 20
    assert parsed[0]["id"] == "lipetsk"

    again = run(["status", "quality-week", "--format", "csv", "--output", "s.csv"])
    assert again.exit_code == 7  # never overwritten
    assert (workdir / "s.csv").read_bytes() == data

    xlsx = run(["status", "quality-week", "--format", "xlsx", "--output", "s.xlsx"])
    assert xlsx.exit_code == 0
    assert openpyxl.load_workbook(workdir / "s.xlsx").active is not None
    assert run(["status", "quality-week", "--format", "xlsx"]).exit_code == 2


def test_letters_lists_the_journal(workdir: Path, smtp_server: SmtpServer) -> None:
    assert "ещё пуст" in run(["letters"]).output
    assert (
        run(["send", "quality-week", "--yes", "--only", "gryazi"], env=smtp_server.env()).exit_code
        == 0
    )
    result = run(["letters"])
    assert (
        f"quality-week: № {REG} от 12.10.2023 «О Всемирной неделе качества» — отправлено 1 из 20"
        in result.output
    )


def test_hand_marks_and_review_show_in_status_and_report(
    workdir: Path, smtp_server: SmtpServer
) -> None:
    sent_and_answered(workdir, smtp_server)
    marked = run(
        [
            "mark",
            "quality-week",
            "volovo",
            "--replied",
            "--incoming",
            "01-12/3456",
            "--date",
            "2023-10-20",
            "--note",
            "СЭД «Дело»",
        ]
    )
    assert marked.exit_code == 0, marked.output
    assert "вх. № 01-12/3456" in marked.output
    # a message from usman about another letter waits on the review list
    export = workdir / "export2"
    export.mkdir()
    (export / "1.eml").write_bytes(
        reply(
            None,
            "glava@usman.example.org",
            "На № 17-01/228 от 02.10.2023 сообщаем.",
            subject="Ответ на запрос",
            message_id="<o1@usman.example.org>",
        )
    )
    assert run(["track", "quality-week", "--source", str(export)]).exit_code == 0

    rows = {
        r["id"]: r for r in json.loads(run(["status", "quality-week", "--format", "json"]).output)
    }
    volovo = rows["volovo"]
    assert (volovo["state"], volovo["replied_at"], volovo["incoming_number"]) == (
        "replied",
        "2023-10-20",
        "01-12/3456",
    )
    assert "вх. № 01-12/3456" in str(volovo["evidence"])
    assert rows["usman"]["state"] == "review"
    assert "glava@usman.example.org" in str(rows["usman"]["evidence"])
    table = run(["status", "quality-week"]).output
    # the table names organizations (the id is in --wide)
    usman_line = next(line for line in table.splitlines() if "Усманский муниципальный" in line)
    assert "на проверке" in usman_line

    assert run(["report", "quality-week"]).exit_code == 0
    (xlsx,) = (workdir / "reports").glob("Сводка*.xlsx")
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet is not None
    by_id = {row[2]: row for row in ([c.value for c in r] for r in sheet.iter_rows())}
    assert by_id["volovo"][6] == datetime.datetime(2023, 10, 20)  # the answer's own date
    assert by_id["volovo"][7] == "отмечено вручную, вх. № 01-12/3456"
    assert by_id["usman"][8] == "на проверке"
    (reference,) = (workdir / "reports").glob("Справка*.docx")
    table_rows = docx.Document(str(reference)).tables[0].rows

    def plain(text: str) -> str:  # the справка's non-breaking spaces and hyphens
        return text.replace("\xa0", " ").replace("\u2011", "-")

    cells = {plain(r.cells[1].text): [plain(c.text) for c in r.cells] for r in table_rows}
    assert cells["Воловский муниципальный округ"][3] == "вх. № 01-12/3456 от 20.10.2023"
    assert cells["Усманский муниципальный округ"][5] == "на проверке"
