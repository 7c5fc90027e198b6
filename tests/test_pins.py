"""The two libraries whose internals mailer leans on: if an upgrade moves them, these fail first,
with a message that says what moved, rather than a send or a deadline going wrong later."""

from __future__ import annotations

import inspect
from pathlib import Path

import aiosmtplib
import holidays
from aiosmtplib.protocol import SMTPProtocol


def test_aiosmtplib_protocol_internals_used_by_smtp_data() -> None:
    # mailer.smtp._data: client.protocol, protocol.write(bytes), protocol.read_response(timeout=)
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=1)
    assert hasattr(client, "protocol"), "aiosmtplib.SMTP no longer has .protocol"
    assert client.protocol is None  # not connected yet: _data falls back to data() then
    read = inspect.signature(SMTPProtocol.read_response)
    assert "timeout" in read.parameters, "SMTPProtocol.read_response lost its timeout"
    assert list(inspect.signature(SMTPProtocol.write).parameters) == ["self", "data"]
    assert inspect.iscoroutinefunction(SMTPProtocol.read_response)


def test_holidays_keeps_russia_in_its_own_module() -> None:
    # mailer.workdays loads this file alone, to skip importing 150 countries at start-up
    path = Path(holidays.__file__).parent / "countries" / "russia.py"
    assert path.is_file(), f"holidays moved Russia's calendar: {path} is gone"
    assert "class Russia" in path.read_text(encoding="utf-8")


def test_workdays_reads_the_russian_calendar() -> None:
    import datetime as dt

    from mailer.workdays import is_working_day

    assert not is_working_day(dt.date(2023, 11, 6))  # the day off moved from Saturday 4 November
    assert is_working_day(dt.date(2023, 11, 7))
