"""Templates for `botship init`: one package per template, its files kept as package data.

Files a project keeps under a dot name (.gitignore, .env.example, .botshipignore) are stored
here without the dot and renamed when a project is created; `{{bot_name}}` and `{{python}}`
are filled in. See botship/init.py.
"""
