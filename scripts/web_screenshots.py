"""Screenshots of the main pages of ``pyrules serve`` into docs/screenshots/.

    .venv/bin/python scripts/web_screenshots.py

Runs the app on a free loopback port and drives Debian's Chromium
(/usr/bin/chromium, or $PYRULES_CHROMIUM) with Playwright.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve() -> tuple[str, object]:
    import uvicorn
    from pyrules.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def main() -> int:
    from playwright.sync_api import sync_playwright

    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    base, server = serve()
    exe = os.environ.get("PYRULES_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(base + "/?example=india_cloud_chinese_parent.json")
        page.screenshot(path=str(out / "form.png"))
        page.click("#evaluate")
        page.wait_for_selector("#answer-sentence")
        page.screenshot(path=str(out / "answer.png"), full_page=False)
        page.locator("#authorizations").screenshot(path=str(out / "authorizations.png"))
        page.locator("#why").screenshot(path=str(out / "why_folded.png"))
        page.goto(base + "/?example=core_overlap_tier1_location_tier3_parent.json")
        page.click("#evaluate")
        page.wait_for_selector("#readings")
        page.locator("#readings").screenshot(path=str(out / "readings.png"))
        page.locator("#whatif").screenshot(path=str(out / "whatif_form.png"))
        page.locator("#why summary").first.click()
        page.locator("#why details.conclusion summary").first.click()
        page.locator("#why").screenshot(path=str(out / "why.png"))
        page.goto(base + "/?example=india_cloud_chinese_parent.json")
        page.click("#evaluate")
        page.click("#run-whatif")
        page.wait_for_selector("#whatif-sentence")
        page.screenshot(path=str(out / "whatif.png"))
        page.goto(base + "/compare")
        page.click("#run-compare")
        page.wait_for_selector("#compare-sentence")
        page.screenshot(path=str(out / "compare.png"))
        page.goto(base + "/ledger")
        page.set_input_files("#ledger_file", str(ROOT / "queries" / "ledgers" / "sample.csv"))
        page.click("#run-ledger")
        page.wait_for_selector("#ledger-sentence")
        page.screenshot(path=str(out / "ledger.png"))
        page.locator("#ledger-chart").screenshot(path=str(out / "ledger_chart.png"))
        page.goto(base + "/check")
        page.wait_for_selector("#check-sentence")
        page.screenshot(path=str(out / "check.png"))
        page.goto(base + "/coverage")
        page.screenshot(path=str(out / "coverage.png"))
        browser.close()
    server.should_exit = True
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
