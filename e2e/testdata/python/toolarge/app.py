import os


def handler(event, context):
    if event.get("big"):
        return "x" * 7_000_000  # above Lambda's 6 MB response limit
    return {"pid": os.getpid()}
