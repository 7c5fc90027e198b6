"""What a letter folder's settings may say: letter.toml (the letter, its registration, signatory,
executor, signature, deadline, reminders and report) and organization.toml (the letterhead),
as pydantic models that refuse anything else, each field checked as the documents need it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from mailer.chars import line_unsafe, text_unsafe


def _one_line(value: str) -> str:
    bad = line_unsafe(value)
    if bad:
        raise ValueError(
            f"недопустимый символ ({bad}): это поле идёт в заголовок письма и пишется одной строкой"
        )
    return value


# A value that goes into the email's headers (the subject, the From): one line, no control
# character, or it would start a header of its own.
HeaderText = Annotated[str, AfterValidator(_one_line)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        """No text of a letter may hold what a document cannot (U+FFFE, control characters)."""
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                bad = text_unsafe(item)
                if bad:
                    raise ValueError(f"недопустимый символ ({bad})")
        return value


class Registration(_Model):
    number: HeaderText = Field(min_length=1)
    date: dt.date


class Reference(_Model):
    """The incoming letter this one answers: printed as "На № … от …"."""

    number: str = ""
    date: dt.date | None = None


class Signatory(_Model):
    position: str = Field(min_length=1)
    name: str = Field(min_length=1)


class SignatureSettings(_Model):
    """A signed letter: the signer's certificate, from which the mark is drawn, and the folder
    where the documents to sign and their detached signatures (.sig) are kept."""

    certificate_file: str = Field(min_length=1)
    folder: str = Field(default="signed", min_length=1)
    # Hand-typed values of older letter folders: kept only if they equal the certificate's.
    certificate: str | None = None
    owner: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="before")
    @classmethod
    def _needs_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "certificate_file" not in data:
            raise ValueError(
                'укажите файл сертификата подписавшего: certificate_file = "имя.cer" '
                "(DER или PEM, в папке письма); номер сертификата, владелец и срок действия "
                "в отметке об электронной подписи берутся из него"
            )
        return data


class Executor(_Model):
    name: str = Field(min_length=1)
    phone: str = Field(min_length=1)
    email: str | None = None
    # the executor's head: who signs the справка unless [report] names someone else
    head: Signatory | None = None


class ReportSettings(_Model):
    """The справка (`mailer report`)."""

    # who signs it; by default the executor's head, else the letter's signatory
    signatory: Signatory | None = None


class GroupAddress(_Model):
    """How a letter "по списку" is addressed in its one DOCX."""

    addressee: str = Field(min_length=1)
    salutation: str = "Уважаемые коллеги!"


class ReminderPolicy(_Model):
    """How non-responders are reminded (`mailer remind`), and the reminder's registration."""

    # The reminder's "О …" title; by default "О представлении информации по письму от … № …".
    subject: HeaderText | None = None
    # Its own outgoing registration number and date, both or neither (then both are left blank
    # in the DOCX, to be filled in at registration).
    number: HeaderText = ""
    date: dt.date | None = None
    # The new deadline: so many working days after the reminder's date.
    answer_working_days: int = Field(default=5, ge=1, le=60)
    max_count: int = Field(default=2, ge=0, le=10)
    # Calendar days at least between two messages to one recipient.
    min_interval_days: int = Field(default=5, ge=0, le=365)
    # Remind only once the reply deadline has passed.
    wait_for_deadline: bool = False

    @model_validator(mode="after")
    def _registered(self) -> ReminderPolicy:
        if bool(self.number) != bool(self.date):
            raise ValueError(
                "у напоминания укажите и номер (number), и дату (date) регистрации, "
                "или не указывайте ни то, ни другое: тогда их впишут при регистрации"
            )
        if self.subject and not self.subject.startswith(("О ", "Об ", "Обо ")):
            raise ValueError(
                "заголовок напоминания (subject) начинается с «О …» или «Об …», "
                "например: «О представлении информации»"
            )
        return self


class LetterSettings(_Model):
    subject: HeaderText = Field(min_length=1)
    mode: Literal["personal", "list"] = "personal"
    registration: Registration
    reference: Reference = Reference()
    deadline: dt.date | None = None
    # or: so many working days after the letter's date, on the Russian production calendar
    deadline_working_days: int | None = Field(default=None, ge=1, le=250)
    deadline_on_day_off: bool = False
    signatory: Signatory
    signature: SignatureSettings | None = None
    executor: Executor
    group: GroupAddress | None = None
    attachments: list[str] = []
    recipients: str | None = None
    read_receipt: bool = False
    email_subject: HeaderText | None = None
    reminder: ReminderPolicy = ReminderPolicy()
    report: ReportSettings = ReportSettings()

    @model_validator(mode="before")
    @classmethod
    def _no_signature_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "signature_file" in data:
            raise ValueError(
                "поле signature_file больше не используется: подписанное письмо описывает раздел "
                "[signature] (certificate_file и папка подписей folder), файлы .sig лежат в этой "
                "папке рядом с подписанными документами"
            )
        return data

    @model_validator(mode="after")
    def _consistent(self) -> LetterSettings:
        if self.mode == "list" and self.group is None:
            raise ValueError(
                'для письма «по списку» (mode = "list") нужен раздел [group] с адресатом'
            )
        if self.deadline and self.deadline < self.registration.date:
            raise ValueError("срок ответа (deadline) раньше даты письма")
        if self.deadline and self.deadline_working_days:
            raise ValueError(
                "укажите срок ответа одним способом: датой (deadline) "
                "или числом рабочих дней (deadline_working_days)"
            )
        return self


class Organization(_Model):
    """The letterhead: the same for every letter of the office."""

    name_lines: list[HeaderText] = Field(min_length=1)
    short_name: HeaderText = Field(min_length=1)
    address: str = ""
    phone: str = ""
    fax: str = ""
    website: str = ""
    email: HeaderText = ""
    blank: str | None = None
    # the name in the genitive, for a signature's title ("управления экономического развития
    # Липецкой области"); worked out from short_name when not given
    name_genitive: str = ""
