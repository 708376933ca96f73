"""Entry point of the Lambdock Python runtime (started by /var/runtime/bootstrap).

It only hands over to lambdock_runtime.main, which sets the search paths, loads the handler and
serves invocations until the environment is shut down.
"""

from lambdock_runtime.main import main

main()
