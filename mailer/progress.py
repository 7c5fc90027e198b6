"""How far a send has got: "Отправлено 300 из 1000", the pace and the time left.

On a terminal one line is redrawn a few times a second; into a pipe or a log file a line is
written every few seconds, so that a log shows the run's pace without thousands of lines. The
per-letter call only counts and reads the clock: the send is never slowed by its report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from mailer.smtp import Outcome

TERMINAL_INTERVAL = 0.2
PIPE_INTERVAL = 5.0


def duration(seconds: float) -> str:
    """A time left as people read it: "0:45", "12:05", "1:02:00"."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class SendProgress:
    """A progress callback for the outbox (``progress(recipient_id, outcome)``)."""

    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        verb: str = "Отправлено",
        terminal: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream
        self.verb = verb
        self.terminal = stream.isatty() if terminal is None else terminal
        self.interval = TERMINAL_INTERVAL if self.terminal else PIPE_INTERVAL
        self.clock = clock
        self.started = clock()
        self.shown_at = self.started
        self.done = 0
        self.sent = 0
        self.width = 0
        self.last_shown = -1

    def __call__(self, _recipient_id: str, outcome: Outcome) -> None:
        self.done += 1
        if outcome is Outcome.SENT:
            self.sent += 1
        now = self.clock()
        if now - self.shown_at >= self.interval:
            self.shown_at = now
            self.show(now)

    def line(self, now: float) -> str:
        text = f"{self.verb} {self.sent} из {self.total}"
        if self.done > self.sent:
            text += f", не отправлено {self.done - self.sent}"
        elapsed = now - self.started
        if self.done and elapsed > 0:
            rate = self.done / elapsed
            text += f" · {rate:.0f} писем/с" if rate >= 1 else f" · {rate * 60:.0f} писем/мин"
            if self.done < self.total:
                text += f" · осталось {duration((self.total - self.done) / rate)}"
        return text

    def show(self, now: float) -> None:
        text = self.line(now)
        if self.terminal:
            # redraw in place; spaces cover what a longer line before left
            self.stream.write("\r" + text.ljust(self.width))
            self.width = max(self.width, len(text))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.last_shown = self.done

    def __enter__(self) -> SendProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is not None and self.done == 0:
            return  # nothing went (the server could not be reached): the error says it all
        if self.last_shown != self.done or self.done == 0:
            self.show(self.clock())
        if self.terminal:
            self.stream.write("\n")
            self.stream.flush()
