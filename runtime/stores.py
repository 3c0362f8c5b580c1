"""Where a bot's state lives: an S3 prefix, an Azure Blob container, or a local folder — one small interface.

Objects are stored by content hash (`objects/<sha256>`); `manifest.json` maps paths to
hashes and is written last, conditionally, so a save that dies half-way leaves the previous
manifest pointing at objects that all still exist.
"""

from __future__ import annotations

import os

from .store_base import Conflict, ManifestVersion, NoHistory, Store
from .store_cloud import AzureStore, S3Store, azure_store_from_environment
from .store_folder import FolderStore

__all__ = ["AzureStore", "Conflict", "FolderStore", "ManifestVersion", "NoHistory", "S3Store", "Store", "open_store"]


def open_store(url: str, mode: str) -> Store:
    """The store for a state URL (`s3://bucket/prefix`, `azure://container/prefix`, `file:///path`), one prefix per mode."""
    scheme, _, rest = url.partition("://")
    if scheme == "file":
        return FolderStore(os.path.join(rest, mode))
    location, _, prefix = rest.partition("/")
    prefix = f"{prefix.strip('/')}/{mode}/" if prefix.strip("/") else f"{mode}/"
    if scheme == "s3":
        return S3Store(location, prefix)
    if scheme == "azure":
        return azure_store_from_environment(location, prefix)
    raise ValueError(f"unknown state location '{url}': use s3://, azure:// or file://")
