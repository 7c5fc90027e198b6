"""The email's wording and its headers as a strict parser reads them."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mailer.message import encode_words
from mailer.russian import organization_genitive, position_with_organization
from tests.conftest import parse_strict, run

ENCODED_WORD = re.compile(r"=\?utf-8\?b\?([A-Za-z0-9+/=]*)\?=")


def pieces(header: str) -> list[str]:
    return [base64.b64decode(m).decode("utf-8") for m in ENCODED_WORD.findall(header)]


def test_the_email_cites_the_letter_date_first_and_signs_with_the_organization(
    workdir: Path,
) -> None:
    assert run(["preview", "quality-week"]).exit_code == 0
    (eml,) = (workdir / "preview" / "quality-week").glob("*gryazi.eml")
    message = parse_strict(eml.read_bytes())
    plain = message.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert "Направляем письмо от 12.10.2023 № 02-06-4425И38/10/-3327 «О Всемирной неделе" in text
    assert "письмо № " not in text
    signature = "Начальник управления экономического развития Липецкой области\nК.В. Дождиков\n"
    assert signature in text.replace("\r\n", "\n")
    # the organization is named once, in the title, not repeated on a line of its own
    assert "\nУправление экономического развития Липецкой области\n" not in text
    # the sample is unsigned: its email does not speak of a signature (test_signature.py has
    # the signed one)
    assert "электронной подпис" not in text


def test_the_subject_is_encoded_in_whole_words(workdir: Path) -> None:
    assert run(["preview", "quality-week"]).exit_code == 0
    (eml,) = (workdir / "preview" / "quality-week").glob("*gryazi.eml")
    raw = eml.read_bytes().decode("ascii")
    subject_lines = re.search(r"^Subject: (.*?)\r\n(?! )", raw, re.MULTILINE | re.DOTALL)
    assert subject_lines is not None
    words = pieces(subject_lines.group(1))
    assert len(words) > 1  # long enough to be split
    for word in words[:-1]:
        assert word.endswith(" "), words  # a split falls only after a space
    message = parse_strict(eml.read_bytes())
    expected = "О Всемирной неделе качества (исх. № 02-06-4425И38/10/-3327 от 12.10.2023)"
    assert message["Subject"] == expected  # no stray or lost spaces


@given(st.lists(st.text("абвгдеёжзийклмнопрстуфхцчшщъыьэюяABC№-.", min_size=1, max_size=30)))
def test_encoded_words_decode_to_the_text_and_split_at_spaces(words: list[str]) -> None:
    text = " ".join(words)
    encoded = encode_words(text)
    decoded = pieces(encoded)
    assert "".join(decoded) == text
    for line in encoded.split("\r\n "):
        assert len(line) <= 75
    for piece in decoded[:-1]:
        # a piece ends at a space unless a single word was longer than one encoded-word
        assert piece.endswith(" ") or len(piece.split(" ")[-1].encode()) > 20


def test_position_takes_the_organization_in_the_genitive() -> None:
    org = "Управление экономического развития Липецкой области"
    assert organization_genitive(org) == "управления экономического развития Липецкой области"
    assert position_with_organization("Начальник отдела", org) == (
        "Начальник отдела управления экономического развития Липецкой области"
    )
    assert position_with_organization("Глава", "Администрация Грязинского округа") == (
        "Глава администрации Грязинского округа"
    )
