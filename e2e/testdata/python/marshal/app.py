def handler(event, context):
    return {"ids": {1, 2}}  # a set: JSON has no such thing
