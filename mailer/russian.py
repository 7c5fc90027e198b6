"""Russian office language: date forms, names and positions in the dative case, salutations.

Names are declined by pytrovich (the petrovich rules, which handle indeclinable and hyphenated
surnames), positions by pymorphy3 with an agreement rule: the leading adjectives and participles
and the head noun take the dative, the genitive tail ("главы администрации …") stays as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


def date_numeric(value: date) -> str:
    """GOST's numeric form: 12.10.2023."""
    return value.strftime("%d.%m.%Y")


def date_words(value: date) -> str:
    """GOST's verbal-numeric form: 12 октября 2023 г."""
    return f"{value.day} {MONTHS_GENITIVE[value.month - 1]} {value.year} г."


@dataclass(frozen=True)
class PersonName:
    last: str
    first: str = ""
    middle: str = ""

    @classmethod
    def parse(cls, full_name: str) -> PersonName:
        parts = full_name.split()
        if not parts:
            return cls("")
        if len(parts) > 3 and parts[-1].lower() in ("оглы", "кызы", "улы", "уулу"):
            parts = [*parts[:2], " ".join(parts[2:])]
        return cls(parts[0], parts[1] if len(parts) > 1 else "", " ".join(parts[2:]))

    @property
    def initials(self) -> str:
        return "".join(f"{part[0]}." for part in (self.first, self.middle) if part)


class DeclensionError(ValueError):
    """A name or position that the rules cannot handle without help from the list."""


def gender_of(name: PersonName, explicit: str | None = None) -> str:
    """'m' or 'f': the explicit column wins, then the patronymic, then the first name."""
    if explicit:
        return explicit
    middle = name.middle.lower()
    if middle.endswith(("вич", "ич", "оглы", "улы", "уулу")):
        return "m"
    if middle.endswith(("вна", "чна", "шна", "кызы", "гызы")):
        return "f"
    if name.first:
        from pytrovich.enums import Gender

        detected = _gender_detector().detect(firstname=name.first)
        if detected == Gender.MALE:
            return "m"
        if detected == Gender.FEMALE:
            return "f"
    shown = " ".join(part for part in (name.first, name.middle) if part) or name.last
    raise DeclensionError(
        f"не удалось определить пол по имени «{shown}»: заполните столбец «пол» (М или Ж)"
    )


@cache
def _gender_detector() -> Any:
    from pytrovich.detector import PetrovichGenderDetector

    return PetrovichGenderDetector()


@cache
def _name_maker() -> Any:
    from pytrovich.maker import PetrovichDeclinationMaker

    return PetrovichDeclinationMaker()


@cache
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def surname_dative(surname: str, gender: str) -> str:
    from pytrovich.enums import Case, Gender, NamePart

    g = Gender.MALE if gender == "m" else Gender.FEMALE
    return str(_name_maker().make(NamePart.LASTNAME, g, Case.DATIVE, surname))


def _match_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _dative_word(word: str, parse: Any, case: str = "datv") -> str:
    if "-" in word and parse.tag.POS == "NOUN":
        # "специалист-эксперт": pymorphy knows the parts, not the compound
        return "-".join(_dative_noun_part(part, case) for part in word.split("-"))
    inflected = parse.inflect({case})
    return _match_case(word, inflected.word) if inflected else word


def _dative_noun_part(part: str, case: str = "datv") -> str:
    for parse in _morph().parse(part):
        if parse.tag.POS == "NOUN" and "nomn" in parse.tag and "sing" in parse.tag:
            inflected = parse.inflect({case})
            if inflected:
                return _match_case(part, inflected.word)
    return part


def _nominative_parse(word: str, parts_of_speech: Sequence[str], top_only: bool = False) -> Any:
    lookup = word.split("-")[0] if "-" in word else word
    parses = _morph().parse(lookup)
    for parse in parses[:1] if top_only else parses:
        if parse.tag.POS in parts_of_speech and "nomn" in parse.tag and "sing" in parse.tag:
            return parse
    return None


def _agrees(modifier: Any, noun: Any) -> bool:
    # pymorphy's grammeme objects refuse comparison with values outside their set: use str
    gender = str(modifier.tag.gender) if modifier.tag.gender else None
    noun_gender = str(noun.tag.gender) if noun.tag.gender else None
    return gender is None or noun_gender in (gender, "ms-f")


def _is_adverb(word: str) -> bool:
    return bool(_morph().parse(word)[0].tag.POS == "ADVB")


@cache
def position_dative(position: str) -> str:
    """'Первый заместитель главы' -> 'Первому заместителю главы'.

    The leading adjectives and participles and the head noun take the dative; an adverb before
    them ("Временно исполняющий") stays; the rest ("главы администрации") is left as written.
    """
    return _head_in_case(position, "datv")


@cache
def organization_genitive(name: str) -> str:
    """'Управление экономического развития Липецкой области' -> 'управления экономического
    развития Липецкой области': the head and its modifiers in the genitive, the first letter
    small unless the word is an abbreviation ("ООО")."""
    declined = _head_in_case(name, "gent")
    first = declined.split(" ", 1)[0]
    if first.isupper() and len(first) > 1:
        return declined
    return declined[:1].lower() + declined[1:]


def position_with_organization(position: str, organization: str) -> str:
    """A signature's title: 'Начальник управления' and 'Управление экономического развития
    Липецкой области' give 'Начальник управления экономического развития Липецкой области'
    (the organization's head word is not repeated)."""
    genitive = organization_genitive(organization)
    head, _, tail = genitive.partition(" ")
    if position.split(" ")[-1].lower() == head.lower():
        return f"{position} {tail}".strip()
    return f"{position} {genitive}"


def _head_in_case(phrase: str, case: str) -> str:
    words = phrase.split(" ")
    out = list(words)
    index = 0
    while index < len(words) and _is_adverb(words[index]):
        index += 1
    while index < len(words):
        word = words[index]
        modifier = _nominative_parse(word, ("ADJF", "PRTF"))
        noun = _nominative_parse(word, ("NOUN",))
        if modifier is not None:
            following = words[index + 1] if index + 1 < len(words) else ""
            next_noun = (
                _nominative_parse(following, ("NOUN",), top_only=True) if following else None
            )
            next_modifier = (
                _nominative_parse(following, ("ADJF", "PRTF"), top_only=True) if following else None
            )
            if (next_noun is not None and _agrees(modifier, next_noun)) or (
                next_modifier is not None
            ):
                out[index] = _dative_word(word, modifier, case)
                index += 1
                continue
            if noun is None:
                # a participle or adjective standing as the head: "Исполняющий обязанности"
                out[index] = _dative_word(word, modifier, case)
                break
        if noun is not None:
            out[index] = _dative_word(word, noun, case)
        break
    return " ".join(out)


def addressee_dative(full_name: str, position: str, gender: str | None = None) -> str:
    """The addressee block: position in the dative, then initials and surname (GOST R 7.0.97)."""
    name = PersonName.parse(full_name)
    person = f"{name.initials} {surname_dative(name.last, gender_of(name, gender))}".strip()
    if not position:
        return person
    return f"{position_dative(position)}\n{person}"


def salutation(full_name: str, gender: str | None = None) -> str:
    name = PersonName.parse(full_name)
    g = gender_of(name, gender)
    word = "Уважаемый" if g == "m" else "Уважаемая"
    if name.first and name.middle:
        return f"{word} {name.first} {name.middle}!"
    title = "господин" if g == "m" else "госпожа"
    return f"{word} {title} {name.last}!"


def plural(count: int, one: str, few: str, many: str) -> str:
    """'1 рабочий день', '3 рабочих дня', '10 рабочих дней'."""
    tail = count % 100
    if 11 <= tail <= 14:
        word = many
    elif count % 10 == 1:
        word = one
    elif 2 <= count % 10 <= 4:
        word = few
    else:
        word = many
    return f"{count} {word}"
