"""The preview as a secretary sees it: index.html opened in a real headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from tests.conftest import run

pytestmark = pytest.mark.slow

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "Chromium is needed for this test: apt-get install chromium (see .ci/run)"
    return binary


def dump_dom(url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    return result.stdout


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.rows: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag == "tr" and str(values.get("id", "")).startswith("r-"):
            self.rows.append(str(values["id"])[2:])


def test_preview_in_a_real_browser(workdir: Path) -> None:
    assert run(["preview", "quality-week"]).exit_code == 0
    index = (workdir / "preview" / "quality-week" / "index.html").resolve()
    dom = dump_dom(index.as_uri())
    parser = Links()
    parser.feed(dom)
    listed = [
        line.split(",")[0]
        for line in (workdir / "recipients.csv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    assert parser.rows == listed  # every recipient's letter, in the list's order
    local = [link for link in parser.links if not link.startswith("http")]
    assert len(local) == 3 * len(listed)
    for link in local:
        target = Path(unquote(urlparse(urljoin(index.as_uri(), link)).path))
        assert target.is_file(), link
    # a linked page opens in the browser as the letter's text
    text_page = next(link for link in local if link.endswith(".html"))
    page = dump_dom(urljoin(index.as_uri(), text_page))
    assert "Уважаемый Алексей Викторович!" in page


def test_screenshot_of_the_preview(workdir: Path) -> None:
    assert run(["preview", "quality-week"]).exit_code == 0
    index = (workdir / "preview" / "quality-week" / "index.html").resolve()
    shot = workdir / "preview.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                "--window-size=1200,900",
                f"--screenshot={shot}",
                index.as_uri(),
            ],
            capture_output=True,
            timeout=60,
            check=True,
        )
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size > 20_000  # a page with content, not a blank one
