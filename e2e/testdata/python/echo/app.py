"""Returns the event and every field of the context object."""


def handler(event, context):
    identity = context.identity
    client_context = context.client_context
    return {
        "event": event,
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "cognito_identity_id": identity.cognito_identity_id,
        "cognito_identity_pool_id": identity.cognito_identity_pool_id,
        "client_context": None if client_context is None else {
            "custom": client_context.custom,
            "env": client_context.env,
            "installation_id": client_context.client and client_context.client.installation_id,
        },
    }
