"""The pages in a real browser: report.html and sweep.html opened in headless Chromium, offline, from disk.

Each page is opened with a probe appended (a copy beside it, so that its relative paths still resolve)
that waits for the page to load, then records how many images there are, which failed to load, and the
first line of text a reader sees. Skipped, with the reason, where no Chromium is installed (Debian's
`chromium` package; .ci/run installs it).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from commands.sweep import run_sweep
from commands.train import run_train
from tests.cli_helpers import TINY
from utils.config import load_config, load_grid

CHROMIUM = next(filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))), None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium)"),
]

PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const broken = images.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.getAttribute("src"));
  const loaded = images.filter((i) => i.complete && i.naturalWidth > 0).map((i) => i.getAttribute("src"));
  const first = document.body.innerText.trim().split("\\n")[0];
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({ images: images.length, broken: broken, loaded: loaded, first: first });
  document.body.appendChild(out);
});
</script>"""
# a headless browser that reaches for no network: the pages open offline (flags as the machine notes advise)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=20000",
]


def opened(page: Path, profile: Path) -> dict:
    """What the probe saw when Chromium opened `page`: {"images": n, "broken": [src, ...], "loaded": [src, ...],
    "first": text}."""
    probe = page.with_name(f"probe-{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    assert CHROMIUM is not None
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", probe.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the probe did not run (exit {done.returncode}): {done.stderr[-1500:]}"
    return dict(json.loads(html.unescape(found.group(1))))


def test_a_report_opens_with_its_verdict_and_every_picture(tmp_path: Path):
    result = tmp_path / "run"
    cfg = load_config(None, [*TINY, f"result_path={result}", f"data_dir={tmp_path / 'none'}", "evaluate=true"])
    run_train(cfg)
    seen = opened(result / "report.html", tmp_path / "profile")
    assert seen["broken"] == []
    assert seen["images"] >= 9  # side by side, paintings, features, color profile, 2 frames, GIF, loss, latent
    assert "picture.png" in seen["loaded"]  # the real picture, the model's painting and the mixture's
    assert re.match(r"(PASS|FAIL): ", seen["first"]), seen["first"]


def test_a_sweep_page_opens_with_its_verdicts_and_every_picture(tmp_path: Path):
    grid = load_grid(None, [*TINY, "gen_every_epochs=0", "seed=0,1", f"data_dir={tmp_path / 'x'}"])
    run_sweep(grid, str(tmp_path / "sweep"))
    seen = opened(tmp_path / "sweep" / "sweep.html", tmp_path / "profile")
    assert seen["broken"] == []
    assert seen["images"] == 3  # the two runs' pictures and the loss curves
    assert re.match(r"\d of 2 pass; seed=0: (PASS|FAIL), ", seen["first"]), seen["first"]
