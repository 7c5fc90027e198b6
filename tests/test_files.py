"""A letter folder's small files are read within a bound: a huge `.sig` or certificate is named
and refused, never read whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.errors import LetterError
from mailer.files import read_bounded


def test_a_file_over_its_bound_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "letter.docx.sig"
    path.write_bytes(b"0" * 11)
    assert read_bounded(path, 11, "подписи", "больше 11 байт") == b"0" * 11
    path.write_bytes(b"0" * 12)
    with pytest.raises(LetterError, match=r"слишком велик для подписи \(больше 11 байт\)"):
        read_bounded(path, 11, "подписи", "больше 11 байт")


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(LetterError, match=r"Файл сертификата .*nothere\.cer не читается"):
        read_bounded(tmp_path / "nothere.cer", 10, "сертификата", "больше 10 байт")
