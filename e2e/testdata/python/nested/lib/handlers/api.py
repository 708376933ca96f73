from lib.handlers import shared


def handler(event, context):
    return {"module": __name__, "shared": shared.VALUE}
