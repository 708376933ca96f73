"""The Lambda Runtime API client: HTTP/1.1 over one keep-alive TCP connection to the agent.

The client is a small HTTP/1.1 implementation of its own rather than http.client, whose header
parsing (the email package) costs more than the rest of an invocation: it sends each request in
one write with Nagle's algorithm off, and reads answers with Content-Length, chunked or
read-to-close bodies. GET /2018-06-01/runtime/invocation/next blocks until an invocation
arrives, so the socket has no timeout. A connection the agent closed between two calls is
opened again once.
"""

import socket

API_PREFIX = "/2018-06-01/runtime"

# Bounds of what the client reads before a body.
_MAX_LINE = 65536
_MAX_HEADERS = 100

# Bodies up to this size go out in the same write as the request head.
_JOIN_LIMIT = 65536


class RuntimeAPIError(Exception):
    """The Runtime API answered with a status the runtime cannot go on after, or broke the
    protocol."""


class Invocation:
    """One invocation as /next delivered it: the request id, the headers (lower-case names)
    and the raw event."""

    __slots__ = ("request_id", "headers", "event")

    def __init__(self, request_id, headers, event):
        self.request_id = request_id
        self.headers = headers
        self.event = event


class _Closed(Exception):
    """The agent closed the connection before answering."""


class RuntimeClient:
    """The Runtime API at address ("host:port", from AWS_LAMBDA_RUNTIME_API)."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._addr = (host, int(port))
        self._sock = None
        self._rfile = None
        host_line = b"Host: " + address.encode("ascii") + b"\r\n"
        self._next = b"GET " + API_PREFIX.encode() + b"/invocation/next HTTP/1.1\r\n" + host_line + b"\r\n"
        self._post_head = b" HTTP/1.1\r\n" + host_line + b"Content-Type: application/json\r\n"

    def next(self):
        """Waits for the next invocation and returns it."""
        status, headers, body = self._call(self._next, b"")
        if status != 200:
            raise RuntimeAPIError("GET /runtime/invocation/next: %d %s" % (status, body[:200]))
        return Invocation(headers.get("lambda-runtime-aws-request-id", ""), headers, body)

    def respond(self, request_id, payload):
        """Posts the result payload (bytes, JSON) of invocation request_id."""
        self._post("/invocation/" + request_id + "/response", payload, b"")

    def fail(self, request_id, error_type, payload):
        """Posts the error body payload (bytes) of invocation request_id."""
        self._post("/invocation/" + request_id + "/error", payload, _error_type(error_type))

    def init_error(self, error_type, payload):
        """Posts the init error body payload (bytes)."""
        self._post("/init/error", payload, _error_type(error_type))

    def _post(self, path, payload, extra):
        head = b"".join((b"POST ", (API_PREFIX + path).encode(), self._post_head, extra,
                         b"Content-Length: ", str(len(payload)).encode(), b"\r\n\r\n"))
        status, _, body = self._call(head, payload)
        if status != 202:
            # 400 (stale request id) or 413 (result too large): the agent has ended the
            # invocation with its own error already, the runtime goes on with the next one.
            if status in (400, 413):
                return
            raise RuntimeAPIError("POST %s: %d %s" % (path, status, body[:200]))

    def _call(self, head, body):
        """Sends one request and reads the whole answer: (status, headers, body)."""
        reused = self._sock is not None
        try:
            self._send(head, body)
            return self._read_response()
        except (_Closed, BrokenPipeError, ConnectionResetError):
            self._close()
            if not reused:
                raise RuntimeAPIError("the Runtime API closed the connection")
        # The agent closed an idle keep-alive connection: the request did not reach it.
        try:
            self._send(head, body)
            return self._read_response()
        except (_Closed, BrokenPipeError, ConnectionResetError) as e:
            self._close()
            raise RuntimeAPIError("the Runtime API closed the connection twice: %r" % e)

    def _send(self, head, body):
        if self._sock is None:
            sock = socket.create_connection(self._addr)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock, self._rfile = sock, sock.makefile("rb")
        if len(body) <= _JOIN_LIMIT:
            self._sock.sendall(head + body)
        else:
            self._sock.sendall(head)
            self._sock.sendall(body)

    def _read_response(self):
        rfile = self._rfile
        line = rfile.readline(_MAX_LINE)
        if not line:
            raise _Closed()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise RuntimeAPIError("malformed status line %r" % line[:100])
        status = int(parts[1])
        headers = {}
        for _ in range(_MAX_HEADERS):
            line = rfile.readline(_MAX_LINE)
            if line in (b"\r\n", b"\n", b""):
                break
            name, sep, value = line.partition(b":")
            if sep:
                headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        else:
            raise RuntimeAPIError("too many header lines")
        if "chunked" in headers.get("transfer-encoding", ""):
            body = self._read_chunked()
        elif "content-length" in headers:
            n = int(headers["content-length"])
            body = rfile.read(n)
            if len(body) != n:
                raise RuntimeAPIError("the Runtime API closed the connection within a body")
        else:  # no length: the body runs to the end of the connection
            body = rfile.read()
            self._close()
            return status, headers, body
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, headers, body

    def _read_chunked(self):
        rfile, chunks = self._rfile, []
        while True:
            line = rfile.readline(_MAX_LINE)
            if not line:
                raise RuntimeAPIError("the Runtime API closed the connection within a body")
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            chunk = rfile.read(size)
            if len(chunk) != size or rfile.readline(_MAX_LINE) not in (b"\r\n", b"\n"):
                raise RuntimeAPIError("malformed chunk")
            chunks.append(chunk)
        while rfile.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):  # trailers
            pass
        return b"".join(chunks)

    def close(self):
        """Closes the connection (a later call opens a new one)."""
        self._close()

    def _close(self):
        if self._sock is not None:
            try:
                self._rfile.close()
                self._sock.close()
            except OSError:  # already gone: nothing left to release
                pass
        self._sock = self._rfile = None


def _error_type(error_type):
    """The Lambda-Runtime-Function-Error-Type header line of error_type."""
    clean = "".join(c for c in error_type if " " <= c <= "~")
    return b"Lambda-Runtime-Function-Error-Type: " + clean.encode("ascii") + b"\r\n"
