"""A bot that keeps a cache file next to its code: fine on a laptop, refused on Lambda."""

import json


def handler(event, context):
    with open("cache.json", "w") as fh:
        json.dump({"last": 1}, fh)
    return {"ok": True}
