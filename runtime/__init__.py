"""Code that runs inside the deployed function; it imports nothing else of botship and only relative modules."""
