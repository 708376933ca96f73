import time


def handler(event, context):
    time.sleep(event.get("seconds", 0))
    return {"slept": event.get("seconds", 0)}
