"""Packaging: the wheel ships the knowledge base (kb/*.lp as pyrules/kb), so an installed
pyrules evaluates the rule (15 CFR 742.6(a)(6)(iii), 742.6(b)(10)) from any directory.

Builds the wheel offline (no build isolation, no dependencies: hatchling is in the dev
extra), unpacks it and runs it from another working directory. Runs in the normal suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    env = dict(os.environ, PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        cwd=build,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    (whl,) = out.glob("pyrules-*.whl")
    return whl


@pytest.fixture(scope="module")
def unpacked(wheel, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(d)
    return d


def test_packaging_wheel_contains_every_kb_file(wheel):
    """742.6(a)(6)(iii) etc. live in kb/: the wheel holds every kb/*.lp as pyrules/kb/*.lp."""
    names = set(zipfile.ZipFile(wheel).namelist())
    kb_files = {f"pyrules/kb/{p.name}" for p in (ROOT / "kb").glob("*.lp")}
    assert kb_files, "no kb files found"
    assert kb_files <= names
    assert "pyrules/kb/provisions.lp" in names and "pyrules/kb/tiers.lp" in names


def test_packaging_wheel_declares_console_script_and_clingo_pin(wheel):
    """Packaging: the `pyrules` console script and clingo >=5.8,<6 are declared."""
    z = zipfile.ZipFile(wheel)
    ep = next(n for n in z.namelist() if n.endswith(".dist-info/entry_points.txt"))
    assert "pyrules = pyrules.cli:main" in z.read(ep).decode()
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    text = z.read(meta).decode()
    assert any(
        line.startswith("Requires-Dist: clingo") and "<6" in line and ">=5.8" in line for line in text.splitlines()
    )


def _run_unpacked(unpacked: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(unpacked))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_packaging_unpacked_wheel_uses_its_own_kb_from_another_cwd(unpacked, tmp_path):
    """Packaging: imported from the unpacked wheel in another directory, pyrules loads the KB
    shipped inside the wheel and evaluates a scenario (742.6(b)(10): Tier 3 -> denial)."""
    code = (
        "import json, pyrules, pyrules.engine.kb as k\n"
        "d = pyrules.evaluate({'date': '2025-06-01', 'transaction': {'action': 'export', 'from': 'US',"
        " 'to': 'CN', 'consignee': 'B'}, 'items': [{'chip': 'H100-SXM', 'quantity': 1}],"
        " 'entities': {'B': {'located': 'CN', 'headquartered': 'CN'}}})\n"
        "print(json.dumps({'file': pyrules.__file__, 'kb': str(k.kb_dir()), 'lr': d.license_required,"
        " 'policy': d.licensing_policy}))\n"
    )
    r = _run_unpacked(unpacked, tmp_path, "-c", code)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    root = str(unpacked.resolve())
    assert out["file"].startswith(root)
    assert out["kb"].startswith(root) and out["kb"].endswith(os.path.join("pyrules", "kb"))
    assert out["lr"] is True and out["policy"] == "presumption_of_denial"


def test_packaging_unpacked_wheel_cli_ask(unpacked, tmp_path):
    """Packaging: `python -m pyrules.cli ask` from the unpacked wheel works outside the checkout."""
    q = tmp_path / "q.json"
    q.write_text((ROOT / "queries" / "core_tier1_destination.json").read_text())
    r = _run_unpacked(unpacked, tmp_path, "-m", "pyrules.cli", "ask", "q.json", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["licensing_policy"] == "presumption_of_approval"
