"""The commands ``serve``, ``mcp``, ``coverage`` and ``schema`` of the ``pyrules`` CLI."""

from __future__ import annotations

import argparse
import json
import sys

from pyrules.errors import InputError


def add_commands(sub) -> None:
    srv = sub.add_parser("serve", help="the web application and the HTTP API (/api/v1, docs at /docs)")
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    sub.add_parser(
        "mcp", help="a Model Context Protocol server over stdio (tools: ask, explain, whatif, readings, coverage)"
    )
    cov = sub.add_parser(
        "coverage", help="which provisions are modelled, which only flagged, and the date of the rule text"
    )
    cov.add_argument("--json", action="store_true", help="print the statement as JSON")
    sch = sub.add_parser("schema", help="the JSON Schema of a scenario or of an answer")
    sch.add_argument("which", choices=["scenario", "determination"])


def extend_parser(make):
    """Wrap ``pyrules.cli._parser`` so that its subcommands include these."""

    def parser():
        p = make()
        sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
        add_commands(sub)
        return p

    return parser


def cmd_serve(args) -> int:
    if not 0 < args.port < 65536:
        raise InputError("expected a port between 1 and 65535", field="--port")
    import uvicorn
    from pyrules.web.app import create_app

    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_mcp(args) -> int:
    from pyrules.web.mcp_server import main

    main()
    return 0


def cmd_coverage(args) -> int:
    from pyrules.output.coverage import coverage, coverage_text

    print(json.dumps(coverage(), indent=2) if args.json else coverage_text())
    return 0


def cmd_schema(args) -> int:
    from pyrules.inputs.api_models import json_schema_text

    sys.stdout.write(json_schema_text(args.which))
    return 0


COMMANDS = {"serve": cmd_serve, "mcp": cmd_mcp, "coverage": cmd_coverage, "schema": cmd_schema}
