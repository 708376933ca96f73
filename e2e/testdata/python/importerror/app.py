import missing_dependency  # noqa: F401 (not installed: the import fails at init)


def handler(event, context):
    return "unreachable"
