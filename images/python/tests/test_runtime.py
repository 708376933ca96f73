"""Unit tests of the runtime interface client, run inside the image (see
e2e/runtime_python_test.go, TestPythonRuntimeUnits): what the end-to-end tests cannot reach, such
as chunked answers and closed connections of the Runtime API, or handler names they do not use.
"""

import decimal
import io
import os
import socket
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, "/var/runtime")

from lambdock_runtime import client, context, errors, loader, logs, main, paths  # noqa: E402


class FakeAPI:
    """A Runtime API on a local socket that answers each request with the next scripted raw
    answer (bytes, or None to close the connection without answering) and records requests."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.answers:
            conn, _ = self.sock.accept()
            self.connections += 1
            rfile = conn.makefile("rb")
            while self.answers:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = rfile.readline()
                    if not line:
                        break
                    head += line
                if not head:
                    break
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + rfile.read(length))
                answer = self.answers.pop(0)
                if answer is None:
                    break
                conn.sendall(answer)
            rfile.close()
            conn.close()
        self.sock.close()


def next_answer(body, extra=b"", chunked=False):
    head = b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: id-1\r\nLambda-Runtime-Deadline-Ms: 99\r\n" + extra
    if chunked:
        chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(c), c) for c in (body[:3], body[3:]) if c)
        return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\nTrailer: x\r\n\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


ACCEPTED = b'HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{"status":"OK"}'


class ClientTest(unittest.TestCase):
    def client(self, api):
        c = client.RuntimeClient(api.address)
        self.addCleanup(c.close)
        return c

    def test_content_length_chunked_and_keep_alive(self):
        api = FakeAPI([next_answer(b'{"a":1}'), ACCEPTED, next_answer(b'{"b":22}', chunked=True), ACCEPTED])
        c = self.client(api)
        inv = c.next()
        self.assertEqual((inv.request_id, inv.event, inv.headers["lambda-runtime-deadline-ms"]), ("id-1", b'{"a":1}', "99"))
        c.respond("id-1", b"null")
        inv = c.next()
        self.assertEqual(inv.event, b'{"b":22}')
        c.fail("id-1", "Unhandled", b"{}")
        self.assertEqual(api.connections, 1)
        self.assertTrue(api.requests[1].startswith(b"POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1\r\n"))
        self.assertTrue(api.requests[1].endswith(b"Content-Length: 4\r\n\r\nnull"))
        self.assertIn(b"\r\nLambda-Runtime-Function-Error-Type: Unhandled\r\n", api.requests[3])

    def test_reconnects_once_when_the_agent_closed_the_connection(self):
        api = FakeAPI([next_answer(b"{}"), None, ACCEPTED])
        c = self.client(api)
        c.next()
        c.respond("id-1", b"1")  # the first try meets the closed connection, the second a new one
        self.assertEqual(api.connections, 2)
        self.assertEqual(len(api.requests), 3)

    def test_connection_close_and_large_bodies(self):
        big = b"[" + b"1," * 100000 + b"1]"
        api = FakeAPI([next_answer(big, extra=b"Connection: close\r\n"), ACCEPTED])
        c = self.client(api)
        self.assertEqual(c.next().event, big)
        c.respond("id-1", big)
        self.assertTrue(api.requests[1].endswith(big))
        self.assertEqual(api.connections, 2)

    def test_unexpected_status_is_an_error(self):
        api = FakeAPI([b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}"])
        with self.assertRaises(client.RuntimeAPIError):
            self.client(api).next()

    def test_stale_request_id_is_not_fatal(self):
        api = FakeAPI([b"HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}"])
        self.client(api).respond("old", b"1")


class LoaderTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        sys.path.insert(0, self.dir.name)
        self.addCleanup(sys.path.remove, self.dir.name)
        self.addCleanup(self.dir.cleanup)

    def write(self, path, text):
        full = os.path.join(self.dir.name, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def load_error(self, handler):
        with self.assertRaises(errors.FunctionError) as cm:
            loader.load(handler)
        return cm.exception

    def test_names(self):
        self.write("pkg/sub/mod.py", "def fn(e, c):\n    return 'dotted'\n")
        self.write("dir/file.py", "def fn(e, c):\n    return 'slashed'\n")
        self.assertEqual(loader.load("pkg.sub.mod.fn")(None, None), "dotted")
        self.assertEqual(loader.load("dir/file.fn")(None, None), "slashed")

    def test_init_errors(self):
        self.write("boom_at_import.py", "x = 1\nraise RuntimeError('at import')\n")
        cases = [
            ("x", "Runtime.MalformedHandlerName", "Bad handler 'x': not enough values to unpack (expected 2, got 1)"),
            ("", "Runtime.MalformedHandlerName", "Bad handler '': not enough values to unpack (expected 2, got 1)"),
            ("sys.fn", "Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module"),
            ("nowhere.fn", "Runtime.ImportModuleError", "Unable to import module 'nowhere': No module named 'nowhere'"),
            ("json.nope", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'json'"),
            ("boom_at_import.fn", "RuntimeError", "at import"),
        ]
        for handler, error_type, message in cases:
            err = self.load_error(handler)
            self.assertEqual((err.error_type, err.message), (error_type, message), handler)
        err = self.load_error("boom_at_import.fn")
        self.assertEqual(err.stack, ['  File "%s/boom_at_import.py", line 2, in <module>\n'
                                     "    raise RuntimeError('at import')\n" % self.dir.name])


class ErrorsTest(unittest.TestCase):
    def test_frames_have_no_carets_and_skip_the_runtime(self):
        def handler():
            return 1 + [][0]
        try:
            handler()
        except Exception as e:
            err = errors.from_exception(e, e.__traceback__)
        self.assertEqual(err.error_type, "IndexError")
        self.assertEqual(err.message, "list index out of range")
        self.assertEqual(err.stack[-1], '  File "%s", line %d, in handler\n    return 1 + [][0]\n'
                         % (__file__, handler.__code__.co_firstlineno + 1))

    def test_body(self):
        err = errors.FunctionError("Runtime.X", "m")
        self.assertEqual(errors.body(err, ""), b'{"errorMessage": "m", "errorType": "Runtime.X", "requestId": "", "stackTrace": []}')


class EncoderTest(unittest.TestCase):
    def test_results(self):
        enc = main.new_encoder((3, 13))
        self.assertEqual(enc.encode({"d": decimal.Decimal("2"), "f": decimal.Decimal("1.5"), "s": "é"}),
                         '{"d": 2, "f": 1.5, "s": "é"}')
        self.assertEqual(main.new_encoder((3, 11)).encode("é"), '"\\u00e9"')
        self.assertEqual(enc.encode(None), "null")
        with self.assertRaisesRegex(TypeError, "^Object of type set is not JSON serializable$"):
            enc.encode({1})


class ContextTest(unittest.TestCase):
    def test_fields(self):
        info = context.FunctionInfo({"AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"})
        ctx = context.LambdaContext(info, "id-1", {
            "lambda-runtime-deadline-ms": "1",
            "lambda-runtime-cognito-identity": '{"cognitoIdentityId":"ci","cognitoIdentityPoolId":"cp"}',
            "lambda-runtime-client-context": '{"client":{"app_title":"t"},"custom":{"k":"v"},"env":{"e":"1"}}',
        })
        self.assertEqual((ctx.aws_request_id, ctx.function_name, ctx.memory_limit_in_mb), ("id-1", "f", "128"))
        self.assertEqual(ctx.get_remaining_time_in_millis(), 0)  # the deadline has passed
        self.assertEqual((ctx.identity.cognito_identity_id, ctx.identity.cognito_identity_pool_id), ("ci", "cp"))
        cc = ctx.client_context
        self.assertEqual((cc.client.app_title, cc.client.installation_id, cc.custom, cc.env), ("t", None, {"k": "v"}, {"e": "1"}))
        ctx.function_name = "set by a test double"  # plain objects, as on Lambda
        ctx.extra = 1

    def test_no_caller_context(self):
        ctx = context.LambdaContext(context.FunctionInfo({}), "id-1", {"lambda-runtime-client-context": "not json"})
        self.assertIsNone(ctx.client_context)
        self.assertIsNone(ctx.identity.cognito_identity_id)


class PathsTest(unittest.TestCase):
    def test_order(self):
        got = paths.search_path("/var/task", (3, 13), ["/var/runtime", "/extra", "/usr/lib/python3.13", "/var/task"])
        self.assertEqual(got, ["/var/task", "/opt/python", "/opt/python/lib/python3.13/site-packages", "/var/runtime",
                               "/extra", "/usr/lib/python3.13"])


class LogsTest(unittest.TestCase):
    def test_format(self):
        import logging
        ids = logs.setup({"AWS_LAMBDA_LOG_LEVEL": "INFO"})
        ids.request_id = "req-1"
        out, sys.stdout = sys.stdout, io.StringIO()
        try:
            logging.getLogger("x").info("a\tb")
            text = sys.stdout.getvalue()
        finally:
            sys.stdout = out
        self.assertRegex(text, r"^\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\treq-1\ta\tb\n$")


if __name__ == "__main__":
    unittest.main()
