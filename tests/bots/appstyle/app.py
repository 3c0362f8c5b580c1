"""A test bot shaped like an investing-algorithm-framework App: configured, then run for N iterations."""

import os


class App:
    def __init__(self):
        self._config = {}

    def set_config(self, key, value):
        self._config[key] = value

    def run(self, number_of_iterations=None):
        folder = self._config["RESOURCE_DIRECTORY"]
        os.makedirs(os.path.join(folder, "databases"), exist_ok=True)
        path = os.path.join(folder, "databases", "prod-database.sqlite3")
        with open(path, "a") as fh:
            fh.write("iteration\n")
        return {"iterations": number_of_iterations, "resource_directory": folder,
                "bucket": os.environ.get("AWS_S3_STATE_BUCKET_NAME")}


app = App()
