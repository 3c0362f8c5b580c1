"""botship: ship a trading bot from its project folder to a scheduled cloud function, its state kept safe.

Kept import-light on purpose: `botship.runtime` runs inside the deployed function and
imports this package first, so nothing here may pull in the rest of botship.
"""
