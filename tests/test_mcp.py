"""``pyrules mcp``: the MCP server over stdio, driven by the mcp SDK's own client."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("mcp")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _run(calls):
    async def main():
        params = StdioServerParameters(command=sys.executable, args=["-m", "pyrules.cli", "mcp"], cwd=str(ROOT))
        async with Client(params, read_timeout_seconds=120) as c:
            return [await f(c) for f in calls]

    return asyncio.run(main())


def test_mcp_tools_over_stdio_answer_from_the_kb():
    """Tools ask, explain, whatif, readings, coverage; ask on the Indian cloud with a Chinese
    parent gives 742.6(b)(10)'s presumption of denial, with citations and a record; a bad
    scenario is a tool error naming the field."""
    s = json.loads((ROOT / "queries" / "india_cloud_chinese_parent.json").read_text())
    lpp = json.loads((ROOT / "queries" / "whatif_lpp_over_limit.json").read_text())
    lpp.pop("questions", None)

    async def names(c):
        return sorted(t.name for t in (await c.list_tools()).tools)

    async def ask(c):
        return await c.call_tool("ask", {"scenario": s})

    async def bad(c):
        return await c.call_tool("ask", {"scenario": {"transaction": {"to": "XX"}}})

    async def cov(c):
        return await c.call_tool("coverage", {})

    async def rdg(c):
        return await c.call_tool("readings", {})

    async def wif(c):
        return await c.call_tool("whatif", {"scenario": lpp, "goal": "lpp"})

    async def exp(c):
        return await c.call_tool("explain", {"scenario": s})

    tools, a, b, c_, r, w, e = _run([names, ask, bad, cov, rdg, wif, exp])
    assert tools == ["ask", "coverage", "explain", "readings", "whatif"]
    assert not a.is_error
    j = a.structured_content
    assert j["licensing_policy"] == "presumption_of_denial"
    assert "15 CFR 742.6(b)(10)" in j["citations"]
    assert j["record"]["input"] == s and len(j["record"]["kb_sha256"]) == 64
    assert b.is_error and "transaction.to" in b.content[0].text
    assert {f["id"] for f in c_.structured_content["flagged"]} >= {"csl_screening", "other_exceptions"}
    assert any(t["topic"] == "tier_overlap" for t in r.structured_content["topics"])
    assert not w.is_error and w.structured_content["reachable"] is True
    assert "Licence required" in e.structured_content["text"]
