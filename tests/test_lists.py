"""Recipient lists as offices keep them: title rows, merged cells, "№ п/п", postal addresses,
headers spelt every way, hidden and styled empty rows, and a CSV saved again by LibreOffice."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill

from mailer.errors import RecipientsError
from mailer.recipients import load_recipients
from tests.conftest import run

PEOPLE = [
    ("Грязинский муниципальный округ", "Уварова Наталья Ивановна", "glava@gryazi.example.org"),
    ("Воловский муниципальный округ", "Черных Вячеслав Тимофеевич", "glava@volovo.example.org"),
    ("Городской округ город Елец", "Соловьёва Елена Петровна", "glava@elets.example.org"),
]


def office_book(path: Path) -> None:
    """The shape that stopped the tool: a merged title, a blank line, "№ п/п" and no id,
    "ФИО главы", a postal "Адрес" before the email, a hidden row and styled empty rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Главы МО"
    sheet["A1"] = "Список глав муниципальных образований Липецкой области"
    sheet.merge_cells("A1:G1")
    sheet["A2"] = "по состоянию на 01.10.2023"
    sheet.merge_cells("A2:G2")
    header = [
        "№ п/п",
        "Наименование МО",
        "ФИО главы",
        "Должность руководителя",
        "Адрес",
        "E-mail адрес",
        "Телефон",
    ]
    for column, name in enumerate(header, start=1):
        sheet.cell(row=4, column=column, value=name).font = Font(bold=True)
    for number, (org, name, email) in enumerate(PEOPLE, start=1):
        postal = f"399000, г. Грязи, ул. Ленина, {number}"
        position = "Глава муниципального округа"
        sheet.append([number, org, name, position, postal, email, "8 (474) 000-00-00"])
    sheet.row_dimensions[6].hidden = True
    sheet.column_dimensions["G"].hidden = True
    for row in range(8, 40):  # formatted but empty, as Excel leaves them
        sheet.cell(row=row, column=2).fill = PatternFill("solid", fgColor="FFFF00")
        sheet.cell(row=row, column=3).border = openpyxl.styles.Border(
            bottom=openpyxl.styles.Side(style="thin")
        )
    book.save(path)


def test_header_below_merged_title_rows(tmp_path: Path) -> None:
    office_book(tmp_path / "list.xlsx")
    listed = load_recipients(tmp_path / "list.xlsx")
    assert [r.full_name for r in listed] == [name for _, name, _ in PEOPLE]
    assert [r.organization for r in listed] == [org for org, _, _ in PEOPLE]
    assert [r.email for r in listed] == [email for _, _, email in PEOPLE]
    assert [r.row for r in listed] == [5, 6, 7]
    first = listed.recipients[0]
    assert first.position == "Глава муниципального округа"
    # the postal address and "№ п/п" stay columns of their own, usable in templates
    assert first.extra["Адрес"] == "399000, г. Грязи, ул. Ленина, 1"
    assert first.extra["№ п/п"] == "1"
    assert listed.notes[0] == "лист «Главы МО», заголовок в строке 4"
    assert any(n.startswith("скрытые строки (1): 6;") for n in listed.notes)
    assert "скрытые столбцы: G «Телефон»" in listed.notes


def test_ids_made_from_organizations_are_stable(tmp_path: Path) -> None:
    office_book(tmp_path / "list.xlsx")
    listed = load_recipients(tmp_path / "list.xlsx")
    assert listed.ids_made
    assert [r.id for r in listed] == [
        "griazinskii-munitsipalnyi-okrug",
        "volovskii-munitsipalnyi-okrug",
        "gorodskoi-okrug-gorod-elets",
    ]
    assert listed.notes[-1].startswith(
        "столбца id нет: id получателей составлены из названий организаций (не меняйте названия"
    )
    # the same names in another order give the same ids: the journal's keys do not move
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Муниципальное образование", "Ф.И.О.", "Электронная почта"])
    for org, name, email in reversed(PEOPLE):
        sheet.append([org, name, email])
    book.save(tmp_path / "again.xlsx")
    again = {r.email: r.id for r in load_recipients(tmp_path / "again.xlsx")}
    assert again == {r.email: r.id for r in listed}


def test_two_people_of_one_organization_get_ids_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Организация;ФИО;Email\n"
        "Администрация Грязинского МО;Уварова Наталья Ивановна;a@gryazi.example.org\n"
        "Администрация Грязинского МО;Ким Александр Сергеевич;b@gryazi.example.org\n",
        encoding="utf-8",
    )
    ids = [r.id for r in load_recipients(path)]
    assert ids == [
        "administratsiia-griazinskogo-mo-uvarova-natalia-ivanovna",
        "administratsiia-griazinskogo-mo-kim-aleksandr-sergeevich",
    ]


@pytest.mark.parametrize(
    ("headers", "fields"),
    [
        (["ID", "Фамилия, имя, отчество", "Адрес электронной почты", "Наименование должности"],
         ("id", "full_name", "email", "position")),
        (["Код", "Ф. И. О.", "E-MAIL", "Организация (полное наименование)"],
         ("id", "full_name", "email", "organization")),
        (["код получателя", "ФИО руководителя", "эл. почта", "Должность"],
         ("id", "full_name", "email", "position")),
        (["Id", "Руководитель", "Почта", "Муниципальное  образование:"],
         ("id", "full_name", "email", "organization")),
        (["Код МО", "Глава МО (Ф. И. О.)", "Адрес эл. почты", "Наименование МО"],
         ("id", "full_name", "email", "organization")),
    ],
)  # fmt: skip
def test_header_spelling_variants(
    tmp_path: Path, headers: list[str], fields: tuple[str, ...]
) -> None:
    values = {
        "id": "gryazi",
        "full_name": "Уварова Наталья Ивановна",
        "email": "glava@gryazi.example.org",
        "position": "Глава Грязинского муниципального округа",
        "organization": "Грязинский муниципальный округ",
    }
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    sheet.append([values[f] for f in fields])
    book.save(tmp_path / "list.xlsx")
    (only,) = load_recipients(tmp_path / "list.xlsx")
    for name in fields:
        assert getattr(only, name) == values[name], name
    assert only.extra == {}


def test_postal_address_alone_is_not_an_email_column(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("id;ФИО;Адрес\n1;Уварова Наталья Ивановна;г. Грязи, ул. Ленина, 1\n")
    with pytest.raises(RecipientsError) as caught:
        load_recipients(path)
    assert caught.value.problems == [
        "строка 1: нет столбца email (почта) — с адресами электронной почты («Email», "
        "«Электронная почта», «E-mail адрес»); найдены столбцы: id, ФИО, Адрес"
    ]


def test_an_address_column_that_holds_emails_is_the_email_column(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("id;ФИО;Адрес\n1;Уварова Наталья Ивановна;glava@gryazi.example.org\n")
    (only,) = load_recipients(path)
    assert only.email == "glava@gryazi.example.org"


def test_sheet_option_and_first_sheet_with_a_header(workdir: Path) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Пояснения"
    notes["A1"] = "Список подготовлен отделом кадров"
    heads = book.create_sheet("Главы")
    heads.append(["id", "ФИО", "Email", "Должность"])
    heads.append(["gryazi", "Уварова Наталья Ивановна", "glava@gryazi.example.org", "Глава"])
    deputies = book.create_sheet("Заместители")
    deputies.append(["id", "ФИО", "Email", "Должность"])
    deputies.append(["elets", "Ким Александр Сергеевич", "zam@elets.example.org", "Заместитель"])
    book.save(workdir / "book.xlsx")

    assert [r.id for r in load_recipients(workdir / "book.xlsx")] == ["gryazi"]
    assert [r.id for r in load_recipients(workdir / "book.xlsx", "Заместители")] == ["elets"]
    with pytest.raises(RecipientsError) as caught:
        load_recipients(workdir / "book.xlsx", "Лист1")
    assert caught.value.problems == [
        "листа «Лист1» в файле нет; листы: «Пояснения», «Главы», «Заместители»"
    ]
    result = run(["send", "quality-week", "-r", "book.xlsx", "--sheet", "Заместители", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "В списке: лист «Заместители», заголовок в строке 1." in result.output
    assert "elets: Заместителю" in result.output


def test_preview_reports_hidden_rows_and_made_ids(workdir: Path) -> None:
    office_book(workdir / "list.xlsx")
    result = run(["preview", "quality-week", "-r", "list.xlsx"])
    assert result.exit_code == 0, result.output
    assert "В списке: скрытые строки (1): 6;" in result.output
    assert "В списке: столбца id нет: id получателей составлены из названий организаций (" in (
        result.output
    )
    # the next step names the same list, not the default one
    assert "  mailer send quality-week -r list.xlsx — отправить" in result.output
    page = (workdir / "preview" / "quality-week" / "index.html").read_text(encoding="utf-8")
    assert "скрытые строки (1): 6;" in page
    assert "id volovskii-munitsipalnyi-okrug" in page


def test_list_saved_by_libreoffice_from_a_windows_1251_csv(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed (see .ci/run)"
    csv = tmp_path / "главы.csv"
    lines = ["Список глав;;;", ";;;", "№ п/п;Наименование МО;ФИО главы;Электронная почта"]
    lines += [f"{n};{org};{name};{email}" for n, (org, name, email) in enumerate(PEOPLE, 1)]
    csv.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    out = tmp_path / "out"
    # the import dialog's choices as a user makes them: separator 59 (";"), text delimiter 34
    # ('"'), character set 34 (Windows-1251 in LibreOffice's numbering)
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
         "--convert-to", "xlsx", "--infilter=CSV:59,34,34", "--outdir", str(out), str(csv)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    listed = load_recipients(out / "главы.xlsx")
    assert [(r.organization, r.full_name, r.email) for r in listed] == PEOPLE
    assert listed.recipients[0].id == "griazinskii-munitsipalnyi-okrug"
    assert listed.notes[0].endswith("заголовок в строке 3")


def test_merged_cells_in_the_data_read_as_their_value(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Организация", "ФИО", "Должность", "Email"])
    sheet.append(
        ["Администрация Грязинского МО", "Уварова Наталья Ивановна", "Глава", "a@g.example.org"]
    )
    sheet.append([None, "Ким Александр Сергеевич", "Заместитель главы", "b@g.example.org"])
    sheet.merge_cells("A2:A3")  # one organization for both of its people, as offices merge it
    book.save(tmp_path / "list.xlsx")
    listed = load_recipients(tmp_path / "list.xlsx")
    assert [r.organization for r in listed] == ["Администрация Грязинского МО"] * 2
    assert [r.id for r in listed] == [
        "administratsiia-griazinskogo-mo-uvarova-natalia-ivanovna",
        "administratsiia-griazinskogo-mo-kim-aleksandr-sergeevich",
    ]


def test_a_plain_id_wins_over_a_compound_code(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Код ОКТМО;ID;ФИО;Email\n42620000;gryazi;Уварова Наталья Ивановна;a@gryazi.example.org\n",
        encoding="utf-8",
    )
    (only,) = load_recipients(path)
    assert only.id == "gryazi"
    assert only.extra == {"Код ОКТМО": "42620000"}
    path.write_text("ID;Код;ФИО;Email\n1;2;Уварова Наталья Ивановна;a@gryazi.example.org\n")
    with pytest.raises(RecipientsError) as caught:
        load_recipients(path)
    assert caught.value.problems == [
        "строка 1: столбцы «ID» и «Код» оба похожи на id (код); переименуйте лишний"
    ]


def test_a_sheet_without_a_header_row_says_so(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("Список глав\nУварова Наталья Ивановна;a@gryazi.example.org\n")
    with pytest.raises(RecipientsError) as caught:
        load_recipients(path)
    assert caught.value.problems == [
        "не найдена строка заголовка: ни в одной из первых 30 заполненных строк нет названий "
        "столбцов списка (нужны хотя бы «E-mail» и «ФИО» или «Организация»); первая строка (1): "
        "«Список глав»"
    ]


def test_row_numbers_are_the_sheets_own_when_the_table_starts_lower(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["B4"], sheet["C4"], sheet["D4"] = "id", "ФИО", "Email"
    sheet["B5"], sheet["C5"], sheet["D5"] = "gryazi", "Уварова Наталья Ивановна", "not-an-address"
    book.save(tmp_path / "list.xlsx")
    with pytest.raises(RecipientsError) as caught:
        load_recipients(tmp_path / "list.xlsx")
    assert caught.value.problems[0].startswith("строка 5: адрес «not-an-address» неверен")
