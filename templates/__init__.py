"""Files rendered into artifacts and new bot projects; shipped as package data."""
