"""A real IMAP server for the tests: Dovecot from Debian's packages, started with a throwaway
configuration on 127.0.0.1 (a passwd-file user, a Maildir, plaintext login on loopback)."""

from __future__ import annotations

import contextlib
import imaplib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mailer.imap import login
from tests.smtp_server import free_port

USER = "office"
PASSWORD = "imap-пароль"
UID = 65534  # an unprivileged owner for the mail files

CONFIG = """
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
mail_location = maildir:{root}/Maildir
first_valid_uid = 1
imap_logout_format = in=%i out=%o fetch_hdr=%{{fetch_hdr_count}} fetch_body=%{{fetch_body_count}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={root}/home
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            "MAILER_IMAP_HOST": "127.0.0.1",
            "MAILER_IMAP_PORT": str(self.port),
            "MAILER_IMAP_SECURITY": "none",
            "MAILER_IMAP_USERNAME": USER,
            "MAILER_IMAP_PASSWORD": PASSWORD,
            "MAILER_IMAP_FOLDER": "INBOX",
        }
        env.update(overrides)
        return env

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        login(client, USER, PASSWORD)
        return client

    def append(self, data: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            status, _ = client.append(folder, None, None, data)
            assert status == "OK"
        finally:
            client.logout()

    def fetch_all(self, folder: str) -> list[bytes]:
        client = self.client()
        try:
            client.select(folder, readonly=True)
            _, data = client.search(None, "ALL")
            out = []
            for number in (data[0] or b"").split():
                _, parts = client.fetch(number.decode(), "(BODY.PEEK[])")
                first = parts[0]
                assert isinstance(first, tuple)
                out.append(first[1])
            return out
        finally:
            client.logout()

    def fetch_counts(self) -> list[tuple[int, int]]:
        """(headers, bodies) fetched in each IMAP session, from Dovecot's own logout lines."""
        log = (self.root / "dovecot.log").read_text(encoding="utf-8", errors="replace")
        return [(int(h), int(b)) for h, b in re.findall(r"fetch_hdr=(\d+) fetch_body=(\d+)", log)]

    def stop(self) -> None:
        # A throwaway server: its whole process group is killed at once. On SIGTERM Dovecot's
        # master lingers about 2.5 s after its children are gone, a tenth of the suite's time.
        pid_file = self.root / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.01)
        shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Running, not a zombie: the daemonized master's parent is init, which may reap late."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_dovecot() -> Dovecot:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        raise RuntimeError("Dovecot is not installed: apt-get install dovecot-imapd (see .ci/run)")
    root = Path(tempfile.mkdtemp(prefix="mailer-dovecot-"))
    root.chmod(0o755)  # the mail user must reach its Maildir
    for name in ("run", "state"):
        (root / name).mkdir()
    for name in ("Maildir", "home"):
        (root / name).mkdir()
        os.chown(root / name, UID, UID)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, uid=UID), encoding="utf-8")
    subprocess.run([binary, "-c", str(config)], check=True)
    server = Dovecot(root, port)
    deadline = time.monotonic() + 10
    while True:
        try:
            server.client().logout()
            return server
        except (OSError, imaplib.IMAP4.error):
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.02)
