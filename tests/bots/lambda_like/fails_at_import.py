"""A bot whose import fails for a reason of its own (not a missing package)."""

SETTINGS = {"market": "bitvavo"}
TRADING_SYMBOL = SETTINGS["trading_symbol"]


def handler(event, context):
    return {"ok": True}
