"""Returns the event: the Python twin of the Go test function's echo op, for the benchmark."""


def handler(event, context):
    return event
