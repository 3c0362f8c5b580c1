"""A strict Azure fake for botship's tests: Resource Manager, Entra ID's token endpoint, Key Vault's data plane,
the function apps' SCM and host — one HTTPS server on 127.0.0.1, written from the public REST specifications."""

from .fake import AzureFake

__all__ = ["AzureFake"]
