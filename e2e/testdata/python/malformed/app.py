def handler(event, context):
    return "the function is named handler, not nope"
