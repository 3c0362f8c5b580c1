"""The AWS Lambda handler (zip and image): `botship_runtime.aws_handler.handler`."""

from .invoke import invoke


def handler(event, context):
    remaining = context.get_remaining_time_in_millis() / 1000 if hasattr(context, "get_remaining_time_in_millis") else None
    return invoke(event, context, remaining)
