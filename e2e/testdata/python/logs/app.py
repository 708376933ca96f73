import logging

logger = logging.getLogger(__name__)


def handler(event, context):
    print("hello from print")
    logger.info("not shown: the root level is WARNING")
    logger.warning("warned %s", event.get("who"))
    return None
