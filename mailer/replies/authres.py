"""Authentication-Results (RFC 8601): what the office's own mail server found when it checked a
message's sender (DKIM, SPF, DMARC). Only headers stamped with the server's authserv-id are
believed: anyone can write such a header into a message, and the office's server removes or
overrides only those claiming its own name.

Written here rather than with the `authres` package: that package has not changed since 2019
and has no type hints, and all we need is each method's result, which is a few lines.
"""

from __future__ import annotations

import re
from email.message import Message

CHECKED = ("dmarc", "dkim", "spf")
FAILED = ("fail",)  # softfail, neutral and none are not proof of forgery
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_RESULT = re.compile(r"^\s*([A-Za-z0-9_.-]+)(?:/\d+)?\s*=\s*([A-Za-z0-9_-]+)")


def _without_comments(value: str) -> str:
    """RFC 5322 comments (nested parentheses) and quoted strings taken out."""
    value = _QUOTED.sub('""', value)
    out, depth = [], 0
    for char in value:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(char)
    return "".join(out)


def failures(message: Message, authserv_id: str | None) -> list[str]:
    """The checks the office's server says this message failed, as "dmarc=fail"; empty when
    no authserv-id is configured or no header of ours is there."""
    if not authserv_id:
        return []
    ours = authserv_id.strip().lower()
    found: list[str] = []
    for raw in message.get_all("Authentication-Results") or []:
        pieces = _without_comments(" ".join(str(raw).split())).split(";")
        server = pieces[0].split()
        if not server or server[0].lower() != ours:
            continue
        for piece in pieces[1:]:
            result = _RESULT.match(piece)
            if result and result[1].lower() in CHECKED and result[2].lower() in FAILED:
                found.append(f"{result[1].lower()}={result[2].lower()}")
    return list(dict.fromkeys(found))
