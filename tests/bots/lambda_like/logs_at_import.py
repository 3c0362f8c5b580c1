"""A bot configured like investing-algorithm-framework's example: its logging writes app_logs.log into the
working directory at import — on Lambda, the read-only code folder."""

import logging.config

logging.config.dictConfig({
    "version": 1,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "file": {"class": "logging.FileHandler", "formatter": "plain", "filename": "app_logs.log"},
    },
    "root": {"level": "INFO", "handlers": ["console", "file"]},
})


def handler(event, context):
    logging.info("ran")
    return {"ok": True}
