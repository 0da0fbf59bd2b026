"""A scripted fake LLM server speaking the providers' wire formats (stdlib only)."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from ._routes import find_route
from ._script import ErrorReply, RecordedRequest, Reply
from ._wire_common import IdSource, Route, StreamEvent

Responder = Callable[[RecordedRequest], "Reply | ErrorReply"]

_STOP_JOIN_SECONDS = 2.0


def _error_body(message: str, kind: str) -> dict[str, Any]:
    # Readable by both SDKs: OpenAI reads error.message, Anthropic reads type/error.
    return {"type": "error", "error": {"type": kind, "message": message, "code": None}}


def _parse_json(raw: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


class _HTTPServer(ThreadingHTTPServer):
    """Threaded HTTP server that knows its owning :class:`FakeLLMServer` and never prints."""

    daemon_threads = True
    # Idle keep-alive handlers would block server_close(); stop() closes their sockets itself.
    block_on_close = False
    # Benchmarks open many connections at once; the default backlog of 5 drops some.
    request_queue_size = 128

    def __init__(self, owner: FakeLLMServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse-DNS getfqdn(), which can stall in sandboxes.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay silent: a fake used in test-suites must not spray tracebacks on stderr."""


class _Handler(BaseHTTPRequestHandler):
    """Routes one connection's requests to the wire renderers (HTTP/1.1 keep-alive)."""

    protocol_version = "HTTP/1.1"
    # Small header/body/event writes would otherwise wait on delayed ACKs (~40 ms each).
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:  # the client already went away; nothing left to flush
            pass
        finally:
            self.server.owner._track(self.connection, add=False)

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ValueError):  # client disconnects, or stop() closed the socket
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent (the base class logs every request to stderr)."""

    def do_POST(self) -> None:
        """Serve a POST (all the LLM endpoints)."""
        self._dispatch()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def _read_request(self) -> RecordedRequest:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        path = urlsplit(self.path).path
        return RecordedRequest(self.command, path, headers, _parse_json(raw), time.time())

    def _dispatch(self) -> None:
        owner = self.server.owner
        request = self._read_request()
        owner._record(request)
        route = find_route(request.path) if request.method == "POST" else None
        if route is None:
            self._send_json(
                404, _error_body(f"no route for {request.method} {request.path}", "not_found_error")
            )
            return
        item = owner._next_item(request)
        # The ids of the script this request arrived under: a delayed reply whose client gave
        # up must not take ids from a later script (after reset()) when it finally renders.
        ids = owner._ids
        if not owner._pause(item.delay):
            self._abort()
            return
        try:
            payload = self._render(route, item, request, ids)
        except Exception as exc:  # noqa: BLE001 - a rendering bug must reach the client as a 500
            self._send_json(500, _error_body(f"fake server failed to render: {exc!r}", "server_error"))
            return
        if isinstance(payload, list):
            assert isinstance(item, Reply)  # only replies stream
            self._send_stream(item, payload, route.stream_type)
        elif isinstance(item, ErrorReply):
            self._send_json(item.status, payload, item.headers)
        else:
            self._send_json(200, payload)

    def _render(
        self, route: Route, item: Reply | ErrorReply, request: RecordedRequest, ids: IdSource
    ) -> dict[str, Any] | list[StreamEvent]:
        """Render fully before any byte is sent, so a failure can still become a clean 500."""
        if isinstance(item, ErrorReply):
            return route.error(item)
        if route.stream is not None and route.streams(request):
            return list(route.stream(item, request, ids))
        return route.render(item, request, ids)

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, reply: Reply, events: list[StreamEvent], content_type: str) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        limit, sent = reply.fail_after_chunks, 0
        for position, event in enumerate(events):
            if position and not self.server.owner._pause(reply.chunk_delay):
                return self._abort()
            if event.content and limit is not None and sent >= limit:  # only reachable for limit 0
                return self._abort()
            self._write_chunk(event.encode())
            if event.content:
                sent += 1
                if limit is not None and sent >= limit:
                    return self._abort()
        self._write_chunk(b"")  # the zero-length chunk ends the body; the connection stays open

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _abort(self) -> None:
        """Drop the connection without finishing the response (client sees a broken stream)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FakeLLMServer:
    """A scripted fake LLM server on ``127.0.0.1`` speaking real OpenAI and Anthropic formats.

    Serves Chat Completions, Responses, Embeddings and Anthropic Messages (streamed and not)
    well enough for the official SDKs to parse. Replies are taken from a FIFO script, then
    from :attr:`responder`, then default to ``Reply(text="ok")``.

    Example:
        >>> with FakeLLMServer() as server:
        ...     server.enqueue(Reply(text="hi"))
        ...     client = openai.OpenAI(base_url=server.base_url, api_key="test")

    Attributes:
        responder: Optional callback producing a reply when the script queue is empty.
    """

    def __init__(self) -> None:
        self.responder: Responder | None = None
        self._lock = threading.Lock()
        self._queue: deque[Reply | ErrorReply] = deque()
        self._requests: list[RecordedRequest] = []
        self._ids = IdSource()
        self._stopping = threading.Event()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Bind a free port and serve in a daemon thread.

        Raises:
            RuntimeError: If the server is already running.
        """
        if self._httpd is not None:
            raise RuntimeError("FakeLLMServer is already running")
        self._stopping.clear()
        self._httpd = _HTTPServer(self)
        # A short poll interval keeps shutdown() (and so stop()) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeLLMServer",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, drop open connections and wait (briefly) for handler threads.

        Requests sleeping in a ``delay`` are abandoned, so this returns promptly. Calling it
        on a stopped server does nothing.
        """
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._stopping.set()  # before the snapshot below: see _track()
        httpd.shutdown()
        with self._lock:
            handlers = dict(self._connections)
        for conn in handlers:
            _shutdown_quietly(conn)
        httpd.server_close()
        deadline = time.monotonic() + _STOP_JOIN_SECONDS
        for worker in [thread, *handlers.values()]:
            worker.join(max(0.0, deadline - time.monotonic()))
        self._httpd = self._thread = None

    def __enter__(self) -> FakeLLMServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound TCP port.

        Raises:
            RuntimeError: If the server is not running.
        """
        if self._httpd is None:
            raise RuntimeError("FakeLLMServer is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """Base URL for OpenAI clients, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"{self.anthropic_base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """Base URL for Anthropic clients (they append ``/v1/messages`` themselves)."""
        return f"http://127.0.0.1:{self.port}"

    # -- script ------------------------------------------------------------------------------

    def enqueue(self, *items: Reply | ErrorReply) -> None:
        """Append replies to the script; each request consumes one, first in first out.

        Raises:
            TypeError: If an item is not a :class:`Reply` or :class:`ErrorReply`.
        """
        for item in items:
            if not isinstance(item, (Reply, ErrorReply)):
                raise TypeError(f"expected Reply or ErrorReply, got {type(item).__name__}")
        with self._lock:
            self._queue.extend(items)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Clear the script queue, the recorded requests, the responder and the id counters."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self.responder = None
            self._ids = IdSource()

    # -- used by the handler threads ---------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_item(self, request: RecordedRequest) -> Reply | ErrorReply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            responder = self.responder
        if responder is None:
            return Reply(text="ok")
        try:
            item = responder(request)
        except Exception as exc:  # noqa: BLE001 - a failing responder becomes a visible HTTP 500
            return ErrorReply(500, f"responder raised {exc!r}")
        if not isinstance(item, (Reply, ErrorReply)):
            return ErrorReply(500, f"responder returned {type(item).__name__}, not Reply or ErrorReply")
        return item

    def _pause(self, seconds: float) -> bool:
        """Sleep, waking early when stopping; returns False if the server is stopping."""
        if seconds > 0:
            return not self._stopping.wait(seconds)
        return not self._stopping.is_set()

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections[conn] = threading.current_thread()
            else:
                self._connections.pop(conn, None)
        # A connection registered after stop() took its snapshot would otherwise idle forever.
        if add and self._stopping.is_set():
            _shutdown_quietly(conn)


def _shutdown_quietly(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed by the peer or by its handler
        pass
