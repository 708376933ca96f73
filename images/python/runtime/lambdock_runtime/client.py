"""The Lambda Runtime API client: one HTTP/1.1 keep-alive connection to the agent.

GET /2018-06-01/runtime/invocation/next blocks until an invocation arrives, so the connection has
no timeout. A connection the agent closed between two calls is opened again once.
"""

import http.client
import socket

API_PREFIX = "/2018-06-01/runtime"

# The headers the runtime sends with a result or an error.
_JSON = {"Content-Type": "application/json"}


class RuntimeAPIError(Exception):
    """The Runtime API answered with a status the runtime cannot go on after."""


class Invocation:
    """One invocation as /next delivered it: the request id, the headers and the raw event."""

    __slots__ = ("request_id", "headers", "event")

    def __init__(self, request_id, headers, event):
        self.request_id = request_id
        self.headers = headers
        self.event = event


class _Connection(http.client.HTTPConnection):
    """An HTTPConnection with Nagle's algorithm off: small requests leave at once."""

    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class RuntimeClient:
    """The Runtime API at address ("host:port", from AWS_LAMBDA_RUNTIME_API)."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._conn = _Connection(host, int(port), timeout=None)
        self._next = API_PREFIX + "/invocation/next"
        self._invocation = API_PREFIX + "/invocation/"

    def next(self):
        """Waits for the next invocation and returns it."""
        status, headers, body = self._call("GET", self._next, None, {})
        if status != 200:
            raise RuntimeAPIError("GET %s: %d %s" % (self._next, status, body[:200]))
        return Invocation(headers.get("Lambda-Runtime-Aws-Request-Id", ""), headers, body)

    def respond(self, request_id, payload):
        """Posts the result payload (bytes, JSON) of invocation request_id."""
        self._post(self._invocation + request_id + "/response", payload, _JSON)

    def fail(self, request_id, error_type, payload):
        """Posts the error body payload (bytes) of invocation request_id."""
        headers = {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type}
        self._post(self._invocation + request_id + "/error", payload, headers)

    def init_error(self, error_type, payload):
        """Posts the init error body payload (bytes)."""
        headers = {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type}
        self._post(API_PREFIX + "/init/error", payload, headers)

    def _post(self, path, payload, headers):
        status, _, body = self._call("POST", path, payload, headers)
        if status != 202:
            # 400 (stale request id) or 413 (result too large): the agent has ended the
            # invocation with its own error already, the runtime goes on with the next one.
            if status in (400, 413):
                return
            raise RuntimeAPIError("POST %s: %d %s" % (path, status, body[:200]))

    def _call(self, method, path, payload, headers):
        """Sends one request and reads the whole answer: (status, headers, body)."""
        for attempt in (0, 1):
            try:
                self._conn.request(method, path, payload, headers)
                resp = self._conn.getresponse()
                return resp.status, resp.headers, resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The agent closed an idle keep-alive connection: the request did not reach it.
                self._conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")
