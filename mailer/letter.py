"""A letter folder: its validated settings (letter.toml, see mailer.letter_settings), its
templates and attachments, and the organization's letterhead (organization.toml beside the
letter folders, configured once); loaded with every file it names kept inside the letters folder.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mailer.certificate import Certificate, SignatureMark, load_certificate
from mailer.errors import LetterError
from mailer.guard import file_name
from mailer.letter_settings import (
    Executor,
    GroupAddress,
    HeaderText,
    LetterSettings,
    Organization,
    Reference,
    Registration,
    ReminderPolicy,
    ReportSettings,
    Signatory,
    SignatureSettings,
)
from mailer.russian import date_numeric, plural
from mailer.system_ru import file_problem
from mailer.validation_ru import explain, toml_problem

# The letter's own names, and its settings' models (mailer.letter_settings) for the modules
# that import them from here.
__all__ = [
    "BODY_TEMPLATE",
    "DEFAULT_RECIPIENTS",
    "ORGANIZATION_FILE",
    "SETTINGS_FILE",
    "Executor",
    "GroupAddress",
    "HeaderText",
    "Letter",
    "LetterSettings",
    "Organization",
    "Reference",
    "Registration",
    "ReminderPolicy",
    "ReportSettings",
    "Signatory",
    "SignatureSettings",
    "load_letter",
    "recipients_path",
    "resolve_letter_folder",
]

SETTINGS_FILE = "letter.toml"
ORGANIZATION_FILE = "organization.toml"
BODY_TEMPLATE = "body.j2"
DEFAULT_RECIPIENTS = Path("recipients.csv")  # the list a letter names none of its own


@dataclass(frozen=True)
class Letter:
    key: str
    folder: Path
    settings: LetterSettings
    organization: Organization
    attachments: tuple[Path, ...]
    blank: Path | None
    # the list named in letter.toml, resolved inside the letters folder
    recipients_file: Path | None = None
    # The signer's certificate of a signed letter; None: unsigned, no mark.
    certificate: Certificate | None = None

    @property
    def mark(self) -> SignatureMark | None:
        """The electronic-signature mark its documents carry, or None for an unsigned letter.
        A marked document is sent only beside a signature verified over its bytes."""
        return SignatureMark.of(self.certificate) if self.certificate else None

    @property
    def signing_folder(self) -> Path | None:
        signature = self.settings.signature
        return self.folder / signature.folder if signature else None

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
    def report_signatory(self) -> Signatory:
        """Who signs the справка: [report] signatory, the executor's head, or the letter's."""
        s = self.settings
        return s.report.signatory or s.executor.head or s.signatory

    @property
    def signatory_title(self) -> str:
        """The signatory's position with the organization in the genitive, as an email signs:
        "Начальник управления экономического развития Липецкой области"."""
        from mailer.russian import position_with_organization

        position = self.settings.signatory.position
        org = self.organization
        if org.name_genitive:
            head, _, tail = org.name_genitive.partition(" ")
            same = position.split(" ")[-1].lower() == head.lower()
            return f"{position} {tail if same else org.name_genitive}".strip()
        return position_with_organization(position, org.short_name)

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
        return file_name(base, composed=True) + ".docx"


def recipients_path(letter: Letter, explicit: Path | None) -> Path:
    """Which list a command reads: the one given, else the letter's own, else the default."""
    if explicit is not None:
        return explicit
    if letter.recipients_file is not None:
        return letter.recipients_file
    return DEFAULT_RECIPIENTS


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


def _confined(folder: Path, base: Path, name: str, field: str, where: Path) -> Path:
    """``name`` resolved against ``base``, symlinks included, and refused unless it stays inside
    the letter folder or the letters folder (its neighbours, the letterhead's blank): a letter
    folder is shared and copied around, and must never reach a password file or a system
    file."""
    roots = (folder.resolve(), folder.parent.resolve())
    root = roots[1]
    path = (base / name).resolve()
    if not any(path.is_relative_to(r) for r in roots):
        raise LetterError(
            f"{where}: поле {field} = «{name}» указывает за пределы папки писем {root} "
            f"(на {path}).",
            hint="Положите файл в папку письма и укажите его имя. Ничего не отправлено.",
        )
    return path


def _existing_file(folder: Path, base: Path, name: str, field: str, what: str, where: Path) -> Path:
    path = _confined(folder, base, name, field, where)
    if not path.is_file():
        raise LetterError(f"{what} «{name}» не найден (искали {path}; поле {field} в {where}).")
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
        _existing_file(folder, folder, name, "attachments", "Файл приложения", settings_path)
        for name in settings.attachments
    )
    certificate = _signer_certificate(folder, settings, settings_path)
    blank = (
        _existing_file(
            folder, folder.parent, organization.blank, "blank", "Бланк организации", org_path
        )
        if organization.blank
        else None
    )
    recipients_file = (
        _confined(folder, folder, settings.recipients, "recipients", settings_path)
        if settings.recipients
        else None
    )
    return Letter(
        key=folder.resolve().name,
        folder=folder,
        settings=settings,
        organization=organization,
        attachments=attachments,
        blank=blank,
        recipients_file=recipients_file,
        certificate=certificate,
    )


def _signer_certificate(folder: Path, settings: LetterSettings, where: Path) -> Certificate | None:
    signature = settings.signature
    if signature is None:
        return None
    _confined(folder, folder, signature.folder, "signature.folder", where)
    path = _existing_file(
        folder,
        folder,
        signature.certificate_file,
        "signature.certificate_file",
        "Файл сертификата подписавшего",
        where,
    )
    certificate = load_certificate(path)
    typed = certificate.mismatches(
        signature.certificate, signature.owner, signature.valid_from, signature.valid_to
    )
    if typed:
        raise LetterError(
            f"В {where} (раздел [signature]) данные отметки не совпадают с сертификатом "
            f"{path.name}:\n" + "\n".join(f"  {line}" for line in typed),
            hint="Уберите эти поля: отметка берётся из файла сертификата.",
        )
    return certificate
