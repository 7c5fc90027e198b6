"""`mailer --help` stays instant: the command line and its commands' declarations load no
document, template, mail, spreadsheet or database library, nor the settings; a command imports
the core it calls when it runs."""

from __future__ import annotations

import subprocess
import sys

# what the commands need only once they run (and what made the first start-up slow)
LOADED_WHEN_A_COMMAND_RUNS = (
    "docx",
    "jinja2",
    "aiosmtplib",
    "openpyxl",
    "pydantic",
    "pydantic_settings",
    "psycopg",
    "sqlite3",
    "email",
    "mailer.settings",
    "mailer.journal",
    "mailer.campaign",
    "mailer.send_plan",
    "mailer.replies",
    "mailer.report",
)
HELP_THEN_MODULES = """
import contextlib, io, sys
sys.argv = ["mailer", "--help"]
from mailer.cli import main
with contextlib.redirect_stdout(io.StringIO()) as shown:
    try:
        main()
    except SystemExit as end:
        assert end.code == 0, end.code
assert "Команды:" in shown.getvalue(), shown.getvalue()
print("\\n".join(sys.modules))
"""


def test_help_loads_none_of_the_core() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HELP_THEN_MODULES], capture_output=True, text=True, check=True
    )
    loaded = done.stdout.split()
    assert "mailer.commands.send" in loaded  # the commands are declared, not their core
    early = [
        module
        for module in loaded
        for heavy in LOADED_WHEN_A_COMMAND_RUNS
        if module == heavy or module.startswith(f"{heavy}.")
    ]
    assert not early, early
