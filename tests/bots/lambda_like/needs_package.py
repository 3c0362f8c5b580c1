"""A bot importing a package that requirements.txt does not list."""

import botship_test_not_a_real_package  # noqa: F401


def handler(event, context):
    return {"ok": True}
