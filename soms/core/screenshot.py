"""``python -m soms.core.screenshot OUT.png``: the README's screenshot, taken in Debian's chromium
from the demo installation (``make run`` builds it), signed in as the Pudong district reviewer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from soms.core.browser import browser_page

PORT = 8765
USER, PASSWORD = "district-pudong", "soms-demo-2026"


def main(out: str) -> None:
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        cwd=root,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "soms.settings"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", PORT), 0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        with browser_page(width=1280, height=760) as page:
            page.goto(f"http://127.0.0.1:{PORT}/accounts/login/")
            page.fill("#id_username", USER)
            page.fill("#id_password", PASSWORD)
            page.click("main form button[type=submit]")
            page.goto(f"http://127.0.0.1:{PORT}/registry/enterprises/")
            page.screenshot(path=out)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png")
