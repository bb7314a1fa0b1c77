"""A real MCP server (the official `mcp` SDK, Streamable HTTP) on loopback that verifies the broker's tokens.

It serves protected resource metadata (RFC 9728) naming the test authorization
server, answers unauthenticated calls with 401 + `resource_metadata`, verifies
bearer tokens with `agentid.runtime.mcp_auth.JWTTokenVerifier`, and checks
each tool's scopes inside the tool.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from tests.runtime.loopback import listening_socket

TOOL_SCOPES = {"search_tickets": ["tickets.search"], "close_ticket": ["tickets.close"]}


class McpServer:
    def __init__(self, issuer: str):
        self._socket = listening_socket()  # the port is this server's from now on (uvicorn serves on it)
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.issuer = issuer
        self.calls: list[tuple[str, str]] = []  # (tool, client_id) of every call that ran

    def __enter__(self) -> "McpServer":
        import uvicorn
        from mcp.server.auth.middleware.auth_context import get_access_token
        from mcp.server.auth.settings import AuthSettings
        from mcp.server.mcpserver import MCPServer

        from agentid.runtime.mcp_auth import JWTTokenVerifier, require_tool_scopes

        self.verifier = JWTTokenVerifier(self.issuer, self.url)
        server = MCPServer(
            "tickets",
            token_verifier=self.verifier,
            auth=AuthSettings(issuer_url=self.issuer, resource_server_url=self.url, validate_token_resource=True),
        )

        @server.tool()
        def search_tickets(query: str) -> str:
            require_tool_scopes(TOOL_SCOPES, "search_tickets")
            self.calls.append(("search_tickets", get_access_token().client_id))
            return f"3 tickets match {query!r}"

        @server.tool()
        def close_ticket(ticket: int) -> str:
            require_tool_scopes(TOOL_SCOPES, "close_ticket")
            self.calls.append(("close_ticket", get_access_token().client_id))
            return f"closed {ticket}"

        app = server.streamable_http_app(json_response=True, stateless_http=True)
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 120  # importing and starting the app takes seconds on a loaded machine
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the MCP server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()


def call_tool(url: str, auth: Any, tool: str, arguments: dict) -> Any:
    """One MCP tool call through the official SDK client over Streamable HTTP, with `auth` on its httpx2 client.

    Runs on a private event loop: asyncio.run() would leave the main thread without one, which later
    Pulumi-based tests in the same process need.
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(_call_tool(url, auth, tool, arguments))
    finally:
        loop.close()


async def _call_tool(url: str, auth: Any, tool: str, arguments: dict) -> Any:
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with httpx2.AsyncClient(auth=auth, timeout=10) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool(tool, arguments)
