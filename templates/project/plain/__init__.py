"""The `plain` template: a moving-average bot in plain Python, stdlib only."""
