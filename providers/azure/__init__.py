"""The Azure Functions provider: a bot's resources on Azure, with the Azure SDKs alone (no az CLI, no Core Tools)."""
