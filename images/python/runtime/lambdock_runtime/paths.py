"""The module search path of a function, set by the runtime itself.

A pre-warmed container's runtime does not see the image's ENV, so nothing may rely on PYTHONPATH
from the image: the order is fixed here, as on Lambda's Python runtimes:

    /var/task (LAMBDA_TASK_ROOT), /opt/python, /opt/python/lib/pythonX.Y/site-packages,
    /var/runtime, then the interpreter's own path (stdlib, Debian's dist-packages with boto3).

Entries of the function's own PYTHONPATH stay, after /var/runtime.
"""

import os
import sys

RUNTIME_DIR = "/var/runtime"


def search_path(task_root, version, current):
    """Returns the search path for a function in task_root on Python version (major, minor),
    given the interpreter's current path (whose first entry, the script's directory
    /var/runtime, moves behind the layers)."""
    layer_site = "/opt/python/lib/python%d.%d/site-packages" % version
    first = [task_root, "/opt/python", layer_site, RUNTIME_DIR]
    rest = [p for p in current if p not in first and p != ""]
    return first + rest


def set_search_path():
    """Puts the function's search path in sys.path."""
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or "/var/task"
    sys.path[:] = search_path(task_root, sys.version_info[:2], sys.path)
