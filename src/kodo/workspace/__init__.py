"""Snapshots of a workspace (for /diff and /undo, the MCP server's diff and batch patches) and the
hardened git they run on the host, where the workspace's own repository must not be obeyed."""
