import os

# Module-level state: set once per environment, kept across warm invocations.
count = 0
pid = os.getpid()


def handler(event, context):
    global count
    count += 1
    return {"count": count, "pid": pid}
