"""The Jinja2 environment of a letter and the per-recipient rendering.

Templates are parsed once per run; per recipient only the context changes. StrictUndefined makes
an unknown variable an error that names the template and the line, before anything is sent.
A letter folder is someone else's file: its templates run in Jinja's immutable sandbox (no
private attributes, no calls that change data), read only from inside the letters folder.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

from mailer.chars import xml_illegal
from mailer.errors import TemplateError
from mailer.letter import BODY_TEMPLATE, Letter
from mailer.recipients import Recipient
from mailer.russian import (
    DeclensionError,
    addressee_dative,
    date_numeric,
    date_words,
    salutation,
)
from mailer.text import Block, parse_blocks

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"
EMAIL_TEMPLATE = "email.j2"
REMINDER_TEMPLATE = "reminder.j2"
REMINDER_EMAIL_TEMPLATE = "reminder_email.j2"


@dataclass(frozen=True)
class Addressing:
    addressee: str
    salutation: str


@dataclass(frozen=True)
class RenderedLetter:
    recipient: Recipient
    addressing: Addressing
    email_blocks: list[Block]
    # The DOCX body of a personal letter; None when one DOCX goes to everyone ("по списку").
    docx_blocks: list[Block] | None
    docx_name: str


def _date_filter(value: date | None) -> str:
    return date_numeric(value) if value else ""


def _date_words_filter(value: date | None) -> str:
    return date_words(value) if value else ""


def address(recipient: Recipient) -> Addressing:
    """Addressee block (dative) and salutation, from overrides or by declension."""
    try:
        addressee = recipient.addressee or addressee_dative(
            recipient.full_name, recipient.position, recipient.gender
        )
        greeting = recipient.salutation or salutation(recipient.full_name, recipient.gender)
    except DeclensionError as exc:
        raise TemplateError(
            f"Получатель {recipient.id} (строка {recipient.row} списка): {exc}."
        ) from None
    return Addressing(addressee, greeting)


class Renderer:
    def __init__(self, letter: Letter) -> None:
        self.letter = letter
        self.env = jinja2.sandbox.ImmutableSandboxedEnvironment(
            loader=_ConfinedLoader(
                [str(letter.folder), str(letter.folder.parent), str(BUILTIN_TEMPLATES)]
            ),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # output is plain text, escaped when turned into HTML
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["date"] = _date_filter
        self.env.filters["date_words"] = _date_words_filter
        self._body = self._load(BODY_TEMPLATE)
        self._email = self._load(EMAIL_TEMPLATE)
        self._letter_context = self._make_letter_context()
        self._reminder_body: jinja2.Template | None = None
        self._reminder_email: jinja2.Template | None = None

    def _load(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"Шаблон {exc.filename or exc.name}, строка {exc.lineno}: ошибка синтаксиса: "
                f"{exc.message}."
            ) from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(
                f"Шаблон {exc.name} не найден в папке {self.letter.folder}."
            ) from None

    def _make_letter_context(self) -> dict[str, Any]:
        s = self.letter.settings
        return {
            "letter": {
                "subject": s.subject,
                "number": s.registration.number,
                "date": s.registration.date,
                "registration": s.registration,
                "registration_label": self.letter.registration_label,
                "reference": s.reference,
                "deadline": self.letter.deadline,
                "deadline_note": self.letter.deadline_note,
                "citation": self.letter.citation,
                "signatory": s.signatory,
                "signatory_title": self.letter.signatory_title,
                # the mark's data when the letter is signed, None otherwise
                "signature": self.letter.mark,
                "executor": s.executor,
                "mode": s.mode,
                "group": s.group,
                "attachments": [p.name for p in self.letter.attachments],
            },
            "org": self.letter.organization,
        }

    def _context(self, recipient: Recipient | None, addressing: Addressing) -> dict[str, Any]:
        person: dict[str, Any] = {}
        if recipient is not None:
            person = {
                **recipient.extra,
                "id": recipient.id,
                "email": recipient.email,
                "emails": list(recipient.emails),
                "full_name": recipient.full_name,
                "position": recipient.position,
                "organization": recipient.organization,
                "gender": recipient.gender,
                "extra": recipient.extra,
            }
        person["addressee"] = addressing.addressee
        person["salutation"] = addressing.salutation
        return {**self._letter_context, "recipient": person}

    def _run(self, template: jinja2.Template, context: dict[str, Any], who: str) -> str:
        try:
            text = template.render(context)
        except jinja2.exceptions.SecurityError as exc:
            named = re.search(r"attribute '([^']+)'", str(exc))
            what = f"«{named[1]}»" if named else "служебным полям"
            raise UnsafeTemplateError(
                f"{_template_place(exc, template)}: шаблон обращается к {what}, внутренностям "
                "программы; так в шаблоне писать нельзя, ничего не выполнено.",
                hint="В шаблоне можно использовать только переменные письма, получателя и "
                "организации. Ничего не отправлено.",
            ) from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(
                f"{_template_place(exc, template)}: {_undefined_message(exc)} ({who})."
            ) from None
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{_template_place(exc, template)}: {exc} ({who}).") from None
        return text

    def group_addressing(self) -> Addressing:
        group = self.letter.settings.group
        assert group is not None
        return Addressing(group.addressee, group.salutation)

    def render_group_body(self) -> list[Block]:
        """The body of the one DOCX of a letter "по списку"."""
        context = self._context(None, self.group_addressing())
        return parse_blocks(self._run(self._body, context, "письмо по списку"))

    def render(self, recipient: Recipient) -> RenderedLetter:
        addressing, docx_name, body, email = self._texts(recipient)
        personal = self.letter.settings.mode == "personal"
        docx_blocks = parse_blocks(body) if personal else None
        return RenderedLetter(recipient, addressing, parse_blocks(email), docx_blocks, docx_name)

    def _texts(self, recipient: Recipient) -> tuple[Addressing, str, str, str]:
        """The addressing, the DOCX's file name, the body and the email's text."""
        addressing = address(recipient)
        who = f"получатель {recipient.id}, строка {recipient.row} списка"
        personal = self.letter.settings.mode == "personal"
        label = recipient.organization or recipient.full_name or recipient.id
        docx_name = self.letter.docx_name(label if personal else None)
        context = self._context(recipient, addressing)
        context["docx_name"] = docx_name
        # rendered once, for the DOCX and (as {{ body }}) for the email
        body = self._run(self._body, context, who)
        context["body"] = body
        return addressing, docx_name, body, self._run(self._email, context, who)

    def render_reminder(
        self, recipient: Recipient, reminder: dict[str, Any]
    ) -> tuple[Addressing, list[Block], list[Block]]:
        """A reminder's DOCX body and email text; ``reminder`` holds its own variables."""
        if self._reminder_body is None or self._reminder_email is None:
            self._reminder_body = self._load(REMINDER_TEMPLATE)
            self._reminder_email = self._load(REMINDER_EMAIL_TEMPLATE)
        addressing = address(recipient)
        who = f"напоминание, получатель {recipient.id}"
        context = self._context(recipient, addressing)
        context["reminder"] = reminder
        context["docx_name"] = reminder["docx_name"]
        body = parse_blocks(self._run(self._reminder_body, context, who))
        email = parse_blocks(self._run(self._reminder_email, context, who))
        return addressing, body, email

    def check_all(self, recipients: Iterable[Recipient]) -> None:
        """Render every recipient's text once, so that no error waits until mid-send."""
        problems: list[str] = []
        for recipient in recipients:
            try:
                self._texts(recipient)  # the templates are what can fail; reading text cannot
            except UnsafeTemplateError:
                raise
            except TemplateError as exc:
                problems.append(exc.message)
                if len(problems) >= 20:
                    break
        if self.letter.settings.mode == "list":
            try:
                self.render_group_body()
            except TemplateError as exc:
                problems.append(exc.message)
        if problems:
            unique = list(dict.fromkeys(problems))
            raise TemplateError(
                "Письмо не собирается:\n" + "\n".join(f"  {p}" for p in unique),
                hint="Исправьте шаблон или список и запустите снова. Ничего не отправлено.",
            )


class UnsafeTemplateError(TemplateError):
    """The template reached for the program's insides: the same for every recipient, said once."""


class _ConfinedLoader(jinja2.FileSystemLoader):
    """Jinja refuses ".." in template names but follows symlinks: a body.j2 linked to a file
    elsewhere would be read and sent. Each template must resolve inside the folder it was
    found in, and hold nothing a document cannot (what it inserts is checked where it is read:
    the list, letter.toml, organization.toml)."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(Path(root).resolve()) for root in self.searchpath):
            raise TemplateError(
                f"Шаблон {template} указывает за пределы папки писем (на {real}).",
                hint="Шаблоны должны лежать в папке письма или в папке писем.",
            )
        for number, line in enumerate(source.splitlines(), start=1):
            bad = xml_illegal(line)
            if bad:
                raise TemplateError(
                    f"Шаблон {filename}, строка {number}: недопустимый символ ({bad}); "
                    "документ с ним не откроется."
                )
        return source, filename, uptodate


def _template_place(exc: Exception, template: jinja2.Template) -> str:
    """'Шаблон letters/x/body.j2, строка 12' from the frames Jinja rewrites to template lines."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.endswith(".j2") or f.filename == template.filename
    ]
    if frames:
        return f"Шаблон {frames[-1].filename}, строка {frames[-1].lineno}"
    return f"Шаблон {template.filename}"


def _undefined_message(exc: jinja2.UndefinedError) -> str:
    text = str(exc)
    if " is undefined" in text:
        name = text.split(" is undefined")[0].strip("'")
        return f"неизвестная переменная {name}"
    if "has no attribute" in text:
        attr = text.split("has no attribute")[-1].strip().strip("'")
        return f"нет поля «{attr}»"
    return text
