"""The root logger as Lambda's Python runtimes configure it: one handler writing to stdout
(which the agent captures into the function's log) in the format

    [LEVEL]\t2024-05-01T12:00:00.123Z\t<request id>\tmessage

with UTC times and the current invocation's request id. The root level stays WARNING (Python's
default, as on Lambda) unless AWS_LAMBDA_LOG_LEVEL names another. Since the root logger has a
handler, logging.basicConfig in a function does nothing, as on Lambda.
"""

import logging
import sys
import time

FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


class RequestIdFilter(logging.Filter):
    """Adds the current invocation's request id to every record (aws_request_id)."""

    def __init__(self):
        super().__init__()
        self.request_id = ""

    def filter(self, record):
        record.aws_request_id = self.request_id
        return True


class StdoutHandler(logging.Handler):
    """Writes each formatted record (which ends with its newline) to the current sys.stdout."""

    def emit(self, record):
        try:
            msg = self.format(record)
            sys.stdout.write(msg if msg.endswith("\n") else msg + "\n")
        except Exception:
            self.handleError(record)


def setup(environ):
    """Configures the root logger and returns the filter whose request_id the loop updates."""
    formatter = logging.Formatter(FORMAT, DATE_FORMAT)
    formatter.converter = time.gmtime
    ids = RequestIdFilter()
    handler = StdoutHandler()
    handler.setFormatter(formatter)
    handler.addFilter(ids)
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    level = (environ.get("AWS_LAMBDA_LOG_LEVEL") or "").upper()
    if level in ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"):
        root.setLevel({"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level))
    return ids
