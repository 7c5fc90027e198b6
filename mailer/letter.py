"""A letter folder: its validated settings (letter.toml), its templates and attachments, and the
organization's letterhead (organization.toml beside the letter folders, configured once).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mailer.errors import LetterError
from mailer.russian import date_numeric, filename_safe, plural
from mailer.system_ru import file_problem
from mailer.validation_ru import explain, toml_problem

SETTINGS_FILE = "letter.toml"
ORGANIZATION_FILE = "organization.toml"
BODY_TEMPLATE = "body.j2"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Registration(_Model):
    number: str = Field(min_length=1)
    date: dt.date


class Reference(_Model):
    """The incoming letter this one answers: printed as "На № … от …"."""

    number: str = ""
    date: dt.date | None = None


class Signatory(_Model):
    position: str = Field(min_length=1)
    name: str = Field(min_length=1)


class SignatureMark(_Model):
    """The electronic-signature mark (отметка об электронной подписи)."""

    certificate: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    valid_from: dt.date
    valid_to: dt.date

    @model_validator(mode="after")
    def _period(self) -> SignatureMark:
        if self.valid_to < self.valid_from:
            raise ValueError("срок действия сертификата кончается раньше, чем начинается")
        return self


class Executor(_Model):
    name: str = Field(min_length=1)
    phone: str = Field(min_length=1)
    email: str | None = None


class GroupAddress(_Model):
    """How a letter "по списку" is addressed in its one DOCX."""

    addressee: str = Field(min_length=1)
    salutation: str = "Уважаемые коллеги!"


class ReminderPolicy(_Model):
    """How non-responders are reminded (`mailer remind`)."""

    # The reminder's title in its DOCX; by default "Напоминание к письму от … № …".
    subject: str | None = None
    # Its own outgoing registration number, if the office registers reminders.
    number: str = ""
    max_count: int = Field(default=2, ge=0, le=10)
    # Calendar days at least between two messages to one recipient.
    min_interval_days: int = Field(default=5, ge=0, le=365)
    # Remind only once the reply deadline has passed.
    wait_for_deadline: bool = False


class LetterSettings(_Model):
    subject: str = Field(min_length=1)
    mode: Literal["personal", "list"] = "personal"
    registration: Registration
    reference: Reference = Reference()
    deadline: dt.date | None = None
    # or: so many working days after the letter's date, on the Russian production calendar
    deadline_working_days: int | None = Field(default=None, ge=1, le=250)
    deadline_on_day_off: bool = False
    signatory: Signatory
    signature: SignatureMark | None = None
    executor: Executor
    group: GroupAddress | None = None
    attachments: list[str] = []
    signature_file: str | None = None
    recipients: str | None = None
    read_receipt: bool = False
    email_subject: str | None = None
    reminder: ReminderPolicy = ReminderPolicy()

    @model_validator(mode="after")
    def _consistent(self) -> LetterSettings:
        if self.mode == "list" and self.group is None:
            raise ValueError(
                'для письма «по списку» (mode = "list") нужен раздел [group] с адресатом'
            )
        if self.signature_file and self.mode != "list":
            raise ValueError(
                "файл подписи (signature_file) прикладывается только к письму «по списку»: "
                "персональные письма каждому получателю разные"
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

    name_lines: list[str] = Field(min_length=1)
    short_name: str = Field(min_length=1)
    address: str = ""
    phone: str = ""
    fax: str = ""
    website: str = ""
    email: str = ""
    blank: str | None = None


@dataclass(frozen=True)
class Letter:
    key: str
    folder: Path
    settings: LetterSettings
    organization: Organization
    attachments: tuple[Path, ...]
    signature_file: Path | None
    blank: Path | None

    @cached_property
    def deadline(self) -> dt.date | None:
        """Worked out when first asked: the production calendar takes a twentieth of a second
        to load, and `track` or `mark` never need it. `prepare` asks for it before anything is
        rendered, so a deadline on a day off still stops a send before it starts."""
        return _deadline(self.settings, self.folder / SETTINGS_FILE)

    @property
    def deadline_note(self) -> str:
        days = self.settings.deadline_working_days
        if not days:
            return ""
        return f"{plural(days, 'рабочий день', 'рабочих дня', 'рабочих дней')} от даты письма"

    @property
    def citation(self) -> str:
        """How a later letter cites this one: "к письму от 12.10.2023 № …"."""
        reg = self.settings.registration
        return f"к письму от {date_numeric(reg.date)} № {reg.number}"

    @property
    def registration_label(self) -> str:
        reg = self.settings.registration
        return f"№ {reg.number} от {date_numeric(reg.date)}"

    @property
    def email_subject(self) -> str:
        s = self.settings
        return s.email_subject or f"{s.subject} (исх. {self.registration_label})"

    def docx_name(self, recipient_label: str | None) -> str:
        reg = self.settings.registration
        base = f"Письмо {date_numeric(reg.date)} № {reg.number}"
        if recipient_label:
            base += f" — {recipient_label}"
        return filename_safe(base) + ".docx"


def _explain(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "файл целиком"
        lines.append(f"  {where}: {explain(err)}")
    return lines


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise LetterError(f"Нет файла {path}.") from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        place = f"строка {where[1]}, позиция {where[2]}" if where else str(exc)
        raise LetterError(
            f"Файл {path} написан с ошибкой ({place}): "
            f"{toml_problem(str(exc).split(' (at line')[0])}.",
            hint="Это формат TOML: текст в кавычках, даты в виде 2023-10-12, разделы в [скобках].",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LetterError(f"Файл {path} не читается: {file_problem(exc)}.") from None


def resolve_letter_folder(name_or_path: str, letters_dir: Path) -> Path:
    candidate = Path(name_or_path)
    if (candidate / SETTINGS_FILE).is_file():
        return candidate
    under = letters_dir / name_or_path
    if (under / SETTINGS_FILE).is_file():
        return under
    known = sorted(p.parent.name for p in letters_dir.glob(f"*/{SETTINGS_FILE}"))
    hint = (
        f"Известные письма в {letters_dir}: {', '.join(known)}."
        if known
        else (f"В папке {letters_dir} нет ни одного письма.")
    )
    raise LetterError(
        f"Письмо «{name_or_path}» не найдено: нет папки с файлом {SETTINGS_FILE}.", hint=hint
    )


def _existing_file(folder: Path, name: str, what: str) -> Path:
    path = (folder / name).resolve()
    if not path.is_file():
        raise LetterError(f"{what} «{name}» не найден (искали {path}).")
    return path


def _deadline(settings: LetterSettings, where: Path) -> dt.date | None:
    from mailer.workdays import add_working_days, day_off_reason, is_working_day

    if settings.deadline_working_days:
        return add_working_days(settings.registration.date, settings.deadline_working_days)
    deadline = settings.deadline
    if deadline and not settings.deadline_on_day_off and not is_working_day(deadline):
        raise LetterError(
            f"Срок ответа {date_numeric(deadline)} в {where} приходится на нерабочий день "
            f"({day_off_reason(deadline)}).",
            hint="Перенесите срок на рабочий день, задайте его числом рабочих дней "
            "(deadline_working_days) или, если так и задумано, укажите deadline_on_day_off = true.",
        )
    return deadline


def load_letter(name_or_path: str, letters_dir: Path) -> Letter:
    folder = resolve_letter_folder(name_or_path, letters_dir)
    settings_path = folder / SETTINGS_FILE
    try:
        settings = LetterSettings.model_validate(_read_toml(settings_path))
    except ValidationError as exc:
        raise LetterError(
            f"В настройках письма {settings_path} ошибки:\n" + "\n".join(_explain(exc))
        ) from None
    org_path = folder.parent / ORGANIZATION_FILE
    try:
        organization = Organization.model_validate(_read_toml(org_path))
    except ValidationError as exc:
        raise LetterError(
            f"В реквизитах организации {org_path} ошибки:\n" + "\n".join(_explain(exc))
        ) from None
    if not (folder / BODY_TEMPLATE).is_file():
        raise LetterError(f"В папке письма {folder} нет шаблона текста {BODY_TEMPLATE}.")
    attachments = tuple(
        _existing_file(folder, name, "Файл приложения") for name in settings.attachments
    )
    signature_file = (
        _existing_file(folder, settings.signature_file, "Файл электронной подписи")
        if settings.signature_file
        else None
    )
    blank = (
        _existing_file(folder.parent, organization.blank, "Бланк организации")
        if organization.blank
        else None
    )
    return Letter(
        key=folder.resolve().name,
        folder=folder,
        settings=settings,
        organization=organization,
        attachments=attachments,
        signature_file=signature_file,
        blank=blank,
    )
