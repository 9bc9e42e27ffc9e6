#!/usr/bin/env python
"""The screenshot tour: the main pages on fresh demo data, at phone and desktop width.

    make screenshots            # writes var/screenshots/<page>-375.png and -1200.png
    make screenshots README=1   # and refreshes docs/screenshot.png (the README's picture)

A new SQLite database and media folder in a temporary directory get `migrate` and
`seed_demo`; a real server (uvicorn) serves them on loopback; Debian's Chromium, driven by
Playwright, visits every stop of aizuchi.site.tour in Japanese as a visitor, the demo
customer, the demo provider and staff, and saves a full-page screenshot at each width.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WIDTHS = (375, 1200)
README_SHOT = "storefront-1200.png"  # the demo listener's storefront, as a visitor sees it
README_HEIGHT = 1300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "screenshots")
    parser.add_argument("--providers", type=int, default=12)
    parser.add_argument("--readme", action="store_true", help="refresh docs/screenshot.png")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is missing: run scripts/ensure-system-deps")

    with tempfile.TemporaryDirectory(prefix="aizuchi-tour-") as directory:
        tmp = Path(directory)
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DATABASE_URL": "",
            "REDIS_URL": "",
            "AIZUCHI_SQLITE_PATH": str(tmp / "tour.sqlite3"),
            "AIZUCHI_MEDIA_ROOT": str(tmp / "media"),
            "AIZUCHI_TASKS_BACKEND": "immediate",
        }
        os.environ.update(env)
        manage = [sys.executable, str(ROOT / "manage.py")]
        started = time.perf_counter()
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], check=True, cwd=ROOT)  # noqa: S603
        subprocess.run(  # noqa: S603
            [*manage, "seed_demo", "--providers", str(args.providers), "--customers", "8"],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )

        import django

        django.setup()
        from playwright.sync_api import sync_playwright

        from aizuchi.core.testing import CHROMIUM_ARGS, AsgiServer
        from aizuchi.site import demo, tour

        stops = tour.stops()
        server = AsgiServer(mail_dir=tmp / "mail").start(extra_env=env)
        args.out.mkdir(parents=True, exist_ok=True)
        written = 0
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                pages = {}
                for stop in stops:
                    page = pages.get(stop.who)
                    if page is None:
                        context = browser.new_context(
                            locale="ja-JP",
                            timezone_id="Asia/Tokyo",
                            viewport={"width": WIDTHS[-1], "height": 900},
                        )
                        page = pages[stop.who] = context.new_page()
                        if stop.who != tour.ANONYMOUS:
                            page.goto(server.url + "/accounts/login/")
                            page.locator("input[name=login]").fill(tour.EMAILS[stop.who])
                            page.locator("input[name=password]").fill(demo.DEMO_PASSWORD)
                            page.locator("main form button[type=submit]").click()
                            page.wait_for_url(lambda url: "/accounts/login/" not in url)
                    page.goto(server.url + stop.path)
                    for width in WIDTHS:
                        page.set_viewport_size({"width": width, "height": 900})
                        page.evaluate("window.scrollTo(0, 0)")
                        page.screenshot(
                            path=str(args.out / f"{stop.name}-{width}.png"), full_page=True
                        )
                        written += 1
                browser.close()
        finally:
            server.stop()

    seconds = time.perf_counter() - started
    print(f"{written} screenshots of {len(stops)} pages in {args.out} ({seconds:.0f} s)")
    if args.readme:
        from PIL import Image

        # The top of the page (what a visitor sees first), not the whole long page.
        with Image.open(args.out / README_SHOT) as shot:
            shot.crop((0, 0, shot.width, min(shot.height, README_HEIGHT))).save(
                ROOT / "docs" / "screenshot.png", optimize=True
            )
        print(f"docs/screenshot.png refreshed from {README_SHOT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
