"""Azure SDK errors in plain words: what went wrong while doing what, and what to do about it."""

from __future__ import annotations

from botship.errors import DISK_ERRNOS, BadInput, BotshipError, file_error

SIGN_IN_FIX = ("sign in again: run `botship` and choose Azure (browser or device-code sign-in), set a service "
               "principal's AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID, or `az login` if you use the "
               "Azure CLI")
ROLE_ASSIGNMENT_FIX = ("deploying needs Microsoft.Authorization/roleAssignments/write on the resource group: ask for "
                       "the Owner or User Access Administrator role there (Contributor is not enough), or use "
                       "`botship doctor --policy` for a custom role with exactly the actions botship uses")

_NAMESPACE_FIX = ("botship doctor offers to register it; or register it in the portal (Subscriptions → Resource "
                  "providers)")


def error_code(exc: BaseException) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) if error is not None else None
    return str(code or "")


def translate(exc: BaseException, doing: str) -> BotshipError:
    """An Azure SDK (or sign-in) error as a message that says what to do."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, BotshipError):
        return exc
    if isinstance(exc, OSError) and (exc.filename is not None or exc.errno in DISK_ERRNOS):
        return file_error(exc)
    try:
        from azure.identity import CredentialUnavailableError
    except ImportError:  # pragma: no cover - azure-identity is a dependency
        CredentialUnavailableError = ClientAuthenticationError  # type: ignore[misc,assignment]  # noqa: N806
    if isinstance(exc, CredentialUnavailableError):
        return BotshipError(f"not signed in to Azure ({doing})", _first_line(str(exc)), SIGN_IN_FIX)
    code = error_code(exc)
    message = _first_line(getattr(getattr(exc, "error", None), "message", None) or str(exc))
    if isinstance(exc, ClientAuthenticationError) and not code:
        return BotshipError(f"Azure did not accept your sign-in ({doing})", message, SIGN_IN_FIX)
    if code in ("ExpiredAuthenticationToken", "InvalidAuthenticationToken", "InvalidAuthenticationTokenTenant",
                "AuthenticationFailed"):
        return BotshipError(f"your Azure sign-in has expired or is not valid here ({doing})", message, SIGN_IN_FIX)
    if code in ("SubscriptionNotFound", "InvalidSubscriptionId"):
        return BadInput(f"azure.subscription_id: the subscription is not found ({doing})",
                        message, "choose a subscription your sign-in can see (the wizard lists them), or sign in "
                                 "to the tenant that holds it")
    if code == "ResourceGroupNotFound":
        return BadInput(f"azure.resource_group: the resource group does not exist ({doing})", message,
                        "a deploy creates it; for other commands, check the profile's resource group")
    if code == "NoRegisteredProviderFound" and "api version" in message.lower():
        return BotshipError(f"this Azure cloud does not offer the API version botship uses ({doing})", message,
                            "a sovereign or private cloud may lag the public one: check its supported API versions, "
                            "and report it with the message above")
    if code in ("MissingSubscriptionRegistration", "NoRegisteredProviderFound"):
        return BotshipError(f"a resource provider is not registered for this subscription ({doing})", message,
                            _NAMESPACE_FIX)
    if code in ("AuthorizationFailed", "LinkedAuthorizationFailed", "Forbidden"):
        fix = ROLE_ASSIGNMENT_FIX if "roleAssignments" in message else (
            "ask for the Contributor role on the resource group (and Owner or User Access Administrator for the "
            "role assignments a deploy makes); `botship doctor` lists what is missing")
        return BotshipError(f"not allowed while {doing}", message, fix)
    if code in ("LocationNotAvailableForResourceType", "NoRegisteredProviderForLocation", "SkuNotAvailable",
                "LocationNotSupported"):
        return BadInput(f"azure.location: not offered there ({doing})", message,
                        "choose a location that offers the plan (the wizard lists only those)")
    if code in ("StorageAccountAlreadyTaken", "VaultAlreadyExists", "WebsiteAlreadyExists", "SiteNameNotAvailable",
                "Conflict") and "already" in message.lower():
        return BotshipError(f"a name botship derived is taken elsewhere in Azure ({doing})", message,
                            "names are global across Azure: rename the bot (bot_name) and deploy again")
    if isinstance(exc, ResourceNotFoundError):
        return BotshipError(f"not found while {doing}", message,
                            "re-running is safe; `botship doctor` checks the setup")
    if isinstance(exc, ResourceExistsError):
        return BotshipError(f"already exists while {doing}", message, "re-running is safe")
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return BotshipError(f"cannot reach Azure while {doing}", message, "check your network connection and re-run")
    if code in ("TooManyRequests", "RequestThrottled") or getattr(exc, "status_code", None) == 429:
        return BotshipError(f"Azure kept throttling while {doing}", message, "wait a minute and re-run; it is safe")
    if isinstance(exc, HttpResponseError):
        status = code or exc.status_code
        return BotshipError(f"Azure refused while {doing}" + (f": {status}" if status else ""), message,
                            "re-running is safe; if it keeps failing, the message above says why")
    if isinstance(exc, ClientAuthenticationError):
        return BotshipError(f"Azure did not accept your sign-in ({doing})", message, SIGN_IN_FIX)
    return BotshipError(f"{doing} failed: {type(exc).__name__}", _first_line(str(exc)), "re-running is safe")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0][:400] if lines else ""
