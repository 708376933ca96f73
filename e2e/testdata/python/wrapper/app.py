import os


def handler(event, context):
    return {"wrapped_by": os.environ.get("WRAPPED_BY")}
