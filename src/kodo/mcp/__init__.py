"""Model Context Protocol support: kodo as an MCP client (configured servers' tools offered to
the model) and as an MCP server (``kodo mcp-server``).

The ``mcp`` SDK is heavy, so every module here imports it only inside the functions that need it.
"""
