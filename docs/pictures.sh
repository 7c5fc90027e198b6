#!/usr/bin/env bash
# Remakes the guide's own pictures (list.png, status.png) from the sample letter: a scratch
# folder, a throwaway SMTP server on 127.0.0.1, LibreOffice → pdftoppm for the list and headless
# Chromium for the terminal. (The documents' pictures, letter-page-*.png, reminder.png and
# spravka-page-*.png, are the README's.) Run from the repository after the test
# command of the README (it needs .venv with aiosmtpd, LibreOffice, poppler and Chromium).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="$repo/.venv/bin/python"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$repo/letters" "$repo/recipients.csv" "$work/"
cd "$work"

port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$python" -m aiosmtpd -n -l "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
sleep 1
export MAILER_SMTP_HOST=127.0.0.1 MAILER_SMTP_PORT="$port" MAILER_SMTP_SECURITY=none
export MAILER_DB="$work/journal.db"
mailer() { "$python" -m mailer "$@"; }

mailer send quality-week --yes >/dev/null 2>&1
mailer mark quality-week gryazi --replied --note "СЭД, вх. № 01-12/3456 от 20.10.2023" >/dev/null
mailer mark quality-week elets --replied --note "бумага, вх. № 01-12/3470" >/dev/null

# a list as an office keeps it: a title above the header, "№ п/п", "ФИО главы", "E-mail адрес"
"$python" - <<'EOF'
import openpyxl
from openpyxl.styles import Alignment, Border, Font, Side

book = openpyxl.Workbook()
sheet = book.active
sheet.title = "Главы МО"
sheet["A1"] = "Список глав муниципальных образований Липецкой области"
sheet.merge_cells("A1:E1")
sheet["A1"].font = Font(bold=True, size=12)
sheet["A1"].alignment = Alignment(horizontal="center")
sheet.append([])
sheet.append(["№ п/п", "Наименование МО", "ФИО главы", "Должность руководителя", "E-mail адрес"])
for cell in sheet[3]:
    cell.font = Font(bold=True)
    cell.border = Border(bottom=Side(style="thin"))
for number, (org, name, position, email) in enumerate([
    ("Грязинский муниципальный округ", "Уварова Наталья Ивановна",
     "Глава Грязинского муниципального округа", "glava@gryazi.example.org"),
    ("Воловский муниципальный округ", "Черных Вячеслав Тимофеевич",
     "Глава Воловского муниципального округа", "glava@volovo.example.org"),
    ("Городской округ город Елец", "Соловьёва Елена Петровна",
     "Глава городского округа город Елец", "glava@elets.example.org"),
    ("Данковский муниципальный округ", "Фалеев Валерий Иванович",
     "Глава Данковского муниципального округа", "glava@dankov.example.org"),
], start=1):
    sheet.append([number, org, name, position, email])
for column, width in zip("ABCDE", (7, 32, 30, 42, 27)):
    sheet.column_dimensions[column].width = width
sheet.page_setup.orientation = "landscape"
sheet.sheet_properties.pageSetUpPr.fitToPage = True
sheet.page_setup.fitToHeight = 0
book.save("list.xlsx")
EOF

soffice --headless "-env:UserInstallation=file://$work/lo" --convert-to pdf list.xlsx \
    >/dev/null 2>&1
pdftoppm -png -r 100 -x 60 -y 85 -W 980 -H 125 -f 1 -l 1 -singlefile list.pdf "$repo/docs/list"

# the status table as a terminal shows it: its head, a few rows, the totals and what comes next
mailer status quality-week >status.txt
"$python" - <<'EOF'
import html

lines = open("status.txt", encoding="utf-8").read().splitlines()
totals = next(n for n, line in enumerate(lines) if line.startswith("Итого"))
shown = lines[:11] + ["…"] + lines[totals:]
page = (
    '<html><body style="margin:0;background:#1e1e1e"><pre style="font:14px/1.35 '
    "'DejaVu Sans Mono',monospace;color:#ddd;padding:12px;margin:0\">$ mailer status "
    "quality-week\n" + html.escape("\n".join(shown)) + "</pre></body></html>"
)
open("status.html", "w", encoding="utf-8").write(page)
EOF
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "--user-data-dir=$work/chrome" \
    --window-size=740,470 "--screenshot=$repo/docs/status.png" "file://$work/status.html" \
    >/dev/null 2>&1
echo "Картинки обновлены в $repo/docs"
