"""Documents as a reader sees them: DOCX rendered to PDF by LibreOffice headless, each page's
text read back by poppler's pdftotext.

Layout ("is the signature block on one page?") is a fact about pages, not about XML, so `check`
and the tests both ask the renderer. LibreOffice takes seconds to start: every document of one
call is converted by a single soffice process, with a profile of its own (two processes on one
profile corrupt it).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mailer.errors import MailerError

SOFFICE_NAMES = ("soffice", "libreoffice")
TIMEOUT_SECONDS = 300


class RenderError(MailerError):
    """LibreOffice or pdftotext failed on a document."""

    exit_code = 3
    title = "Ошибка вёрстки документа"


@dataclass(frozen=True)
class Rendered:
    """One document's pages, as text laid out like the page (pdftotext -layout)."""

    pages: list[str]
    pdf: Path

    def page_lines(self, index: int) -> list[str]:
        return [line.strip() for line in self.pages[index].splitlines() if line.strip()]


def soffice() -> str | None:
    """The LibreOffice executable, if this machine has one (and pdftotext to read its PDF)."""
    if shutil.which("pdftotext") is None:
        return None
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def render_documents(documents: Sequence[Path], out_dir: Path | None = None) -> list[Rendered]:
    """Convert every DOCX to PDF in one LibreOffice run; return their pages in the same order.

    The documents' file names must differ (the PDFs are named after them)."""
    executable = soffice()
    if executable is None:
        raise RenderError(
            "LibreOffice (soffice) или pdftotext не установлены: вёрстку не проверить."
        )
    stems = [path.stem for path in documents]
    if len(set(stems)) != len(stems):
        raise RenderError("Имена документов для вёрстки повторяются.")
    with tempfile.TemporaryDirectory(prefix="mailer-soffice-") as profile:
        target = out_dir or Path(profile) / "pdf"
        target.mkdir(parents=True, exist_ok=True)
        command = [
            executable,
            f"-env:UserInstallation={Path(profile, 'user').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(target),
            *(str(path) for path in documents),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"LibreOffice не смог сверстать документ: {exc}.") from None
        results = []
        for path in documents:
            pdf = target / f"{path.stem}.pdf"
            if not pdf.is_file():
                raise RenderError(f"LibreOffice не сверстал документ {path.name}.")
            results.append(Rendered(_pages(pdf), pdf))
        if out_dir is None:
            # the PDFs go with the temporary profile; keep their pages only
            results = [Rendered(r.pages, Path(r.pdf.name)) for r in results]
        return results


def _pdftotext(pdf: Path, mode: str) -> str:
    """The PDF's text as poppler reads it: "-layout" keeps the lines, "-bbox" gives positions."""
    try:
        done = subprocess.run(
            ["pdftotext", mode, "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise RenderError(f"pdftotext не прочитал {pdf.name}: {exc}.") from None
    return done.stdout.decode("utf-8")


def _pages(pdf: Path) -> list[str]:
    pages = _pdftotext(pdf, "-layout").split("\f")
    if pages and not pages[-1].strip():
        pages.pop()  # pdftotext ends every page with a form feed
    return pages


@dataclass(frozen=True)
class Word:
    text: str
    x: float
    top: float
    bottom: float


@dataclass(frozen=True)
class PageBoxes:
    height: float
    words: list[Word]

    def find(self, text: str) -> list[Word]:
        return [word for word in self.words if word.text == text]


def word_boxes(pdf: Path) -> list[PageBoxes]:
    """Every page's words with their positions in points (pdftotext -bbox), to tell where on
    the page something stands."""
    import html
    import re

    text = _pdftotext(pdf, "-bbox")
    pages = []
    page_pattern = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.DOTALL)
    word_pattern = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>'
    )
    for page in page_pattern.finditer(text):
        words = [
            Word(html.unescape(m[4]), float(m[1]), float(m[2]), float(m[3]))
            for m in word_pattern.finditer(page[3])
        ]
        pages.append(PageBoxes(float(page[2]), words))
    return pages
