"""The confirmation before sending, in Russian.

"да" and "нет" are accepted in both layouts' habits: д, да, y, yes and н, нет, n, no. On a
Russian layout the y key types "н": an intended "y" then reads as "no", which is the safe side
(nothing is sent), and the question says how to answer. Ctrl-C is not caught here: it ends the
command with the documented code 130.
"""

from __future__ import annotations

import sys

import click

YES = frozenset({"д", "да", "y", "yes"})
NO = frozenset({"н", "нет", "n", "no"})
ATTEMPTS = 3


def ask_yes_no(question: str) -> bool:
    """True only on a clear yes. "no", an empty answer, the end of input or three unclear
    answers are a no."""
    for attempt in range(ATTEMPTS):
        hint = "да/нет (д/н, y/n)" if attempt == 0 else "ответьте «да» или «нет» (д/н, y/n)"
        click.echo(f"{question} [{hint}]: ", nl=False)
        line = sys.stdin.readline()
        if not line:  # the end of input: nobody said yes
            click.echo()
            return False
        answer = line.strip().lower().rstrip(".!")
        if answer in YES:
            return True
        if answer in NO or not answer:
            return False
        click.echo(f"Ответ «{answer[:20]}» не понят.")
    return False
