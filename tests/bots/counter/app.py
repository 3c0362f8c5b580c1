"""A test bot: counts its runs in a file and in a SQLite table under BOTSHIP_STATE_DIR."""

import json
import os
import sqlite3
import time


def handler(event, context):
    state = os.environ["BOTSHIP_STATE_DIR"]
    counter = os.path.join(state, "runs.txt")
    before = int(open(counter).read()) if os.path.exists(counter) else 0
    print(json.dumps({"bot": "saw", "before": before, "mode": os.environ.get("BOTSHIP_MODE"), "kind": "x", "type": "y"}))
    time.sleep(float(event.get("sleep", 0)))
    os.makedirs(os.path.join(state, "databases"), exist_ok=True)
    db = sqlite3.connect(os.path.join(state, "databases", "bot.sqlite3"))
    db.execute("create table if not exists runs (n integer, at real)")
    db.execute("insert into runs values (?, ?)", (before + 1, time.time()))
    db.commit()
    db.close()
    with open(counter, "w") as fh:
        fh.write(str(before + 1))
    if event.get("fail"):
        raise RuntimeError("exchange said no")
    if event.get("leak"):  # a careless bot: botship must still keep the value off the screen
        key = os.environ.get("EXCHANGE_API_KEY", "")
        print(f"using key {key}")
        raise RuntimeError(f"exchange rejected key {key}")
    return {"before": before, "runs": before + 1, "has_secret": bool(os.environ.get("EXCHANGE_API_KEY"))}
