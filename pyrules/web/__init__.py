"""The web application and HTTP API (``pyrules serve``), and the MCP server
(``pyrules mcp``). Importing this package imports no web framework; see
``pyrules.web.app.create_app``."""
