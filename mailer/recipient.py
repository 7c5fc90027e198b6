"""A recipient as the rest of the program sees it, and a list of them: what a list file gives
(mailer.recipients reads and checks it) and what the journal records at send time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mailer.errors import RecipientsError


@dataclass(frozen=True, slots=True)
class Recipient:
    id: str
    emails: tuple[str, ...]
    full_name: str = ""
    position: str = ""
    organization: str = ""
    gender: str | None = None
    addressee: str | None = None
    salutation: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    row: int = 0

    @property
    def email(self) -> str:
        return self.emails[0]


@dataclass(frozen=True)
class RecipientList:
    path: Path
    recipients: tuple[Recipient, ...]
    # what the reader found and the user should know: the sheet and header row, hidden rows
    notes: tuple[str, ...] = ()
    ids_made: bool = False  # no id column: ids were made from the organizations' names

    def __iter__(self) -> Iterator[Recipient]:
        return iter(self.recipients)

    def __len__(self) -> int:
        return len(self.recipients)

    def by_id(self, ids: Iterable[str]) -> list[Recipient]:
        wanted = list(dict.fromkeys(ids))
        known = {r.id: r for r in self.recipients}
        missing = [i for i in wanted if i not in known]
        if missing:
            raise RecipientsError(
                str(self.path), [f"получателя с id «{i}» нет в списке" for i in missing]
            )
        return [known[i] for i in wanted]
