"""Every notebook runs from a clean kernel (no stored outputs are trusted)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_is_a_notebook_for_each_user():
    assert {p.stem for p in NOTEBOOKS} >= {"lawyers", "policy_analysts", "researchers"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_cleanly(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "stored outputs"
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    # The executed notebook holds what it should show (issue 13): its charts as images,
    # its tables as HTML.
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    tables = [o["data"]["text/html"] for o in outputs if "<table" in o.get("data", {}).get("text/html", "")]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    expected = EXPECTED_OUTPUTS[path.stem]
    assert len(images) >= expected["images"], f"{path.stem}: {len(images)} image(s)"
    assert len(tables) >= expected["tables"], f"{path.stem}: {len(tables)} table(s)"
    for text in expected["in_tables"]:
        assert any(text in t for t in tables), f"{path.stem}: no table shows {text!r}"
    # a chart is where it belongs: the cell that draws it holds its image
    for text in expected.get("image_cells", []):
        cells = [c for c in nb.cells if c.cell_type == "code" and text in c.source]
        assert cells and all(any("image/png" in o.get("data", {}) for o in c.get("outputs", [])) for c in cells), (
            f"{path.stem}: the cell drawing with {text!r} holds no image"
        )


# What each executed notebook must show: charts (image/png) and HTML tables, with a text
# each table set must contain.
EXPECTED_OUTPUTS = {
    "lawyers": {
        "images": 0,
        "tables": 2,
        "in_tables": ["Licence required", "A licence is required", "entities.", "question"],
    },
    "policy_analysts": {
        "images": 1,
        "tables": 4,
        "in_tables": ["tier2_allocation(", "used_h100_equivalents", "policy provision", "cap_h100_equivalents"],
        # allocation use by country over time, whose totals the cell checks
        # against the ledger's own (issue 13)
        "image_cells": ["allocation_series("],
    },
    "researchers": {"images": 0, "tables": 1, "in_tables": ["kind"]},
}
