"""The api-versions the fake accepts, per resource provider (or provider:type where a provider's types differ).

Each list is the pinned SDK's version plus the stable versions of that provider's folder in
Azure/azure-rest-api-specs (specification/<service>/resource-manager/<namespace>/stable/<version>) — previews are
refused, as are versions that do not exist: the real Resource Manager answers those with
InvalidApiVersionParameter / NoRegisteredProviderFound.
"""

API_VERSIONS: dict[str, set[str]] = {
    # azure-mgmt-resource 26 (resources 2025-04-01): specification/resources/.../Microsoft.Resources/stable
    # (2016-02-01 too: azure-mgmt-core's auto-registration policy registers providers with it)
    "Microsoft.Resources": {"2025-04-01", "2025-03-01", "2024-11-01", "2024-07-01", "2024-03-01", "2023-07-01",
                            "2022-09-01", "2021-04-01", "2021-01-01", "2020-06-01", "2019-10-01", "2016-09-01",
                            "2016-02-01"},
    # azure-mgmt-resource-subscriptions 1.0.0 (2022-12-01): specification/subscription/.../stable
    "Subscriptions": {"2022-12-01", "2021-01-01", "2020-01-01", "2016-06-01"},
    # azure-mgmt-authorization 4.0.0: roleAssignments/roleDefinitions/permissions 2022-04-01
    "Microsoft.Authorization": {"2022-04-01", "2020-10-01", "2018-07-01", "2015-07-01"},
    # azure-mgmt-storage 25.3.0 (2026-09-01): specification/storage/resource-manager/readme.md tags
    "Microsoft.Storage": {"2026-09-01", "2026-06-01", "2026-04-01", "2025-08-01", "2025-06-01", "2025-01-01",
                          "2024-01-01", "2023-05-01", "2023-01-01", "2022-09-01"},
    # azure-mgmt-keyvault 14.1.0 (2026-05-15)
    "Microsoft.KeyVault": {"2026-05-15", "2025-05-01", "2024-11-01", "2023-07-01", "2023-02-01", "2022-07-01"},
    # azure-mgmt-web 11.0.1 (2025-05-01)
    "Microsoft.Web": {"2025-05-01", "2025-03-01", "2024-11-01", "2024-04-01", "2023-12-01", "2023-01-01",
                      "2022-09-01"},
    # azure-mgmt-loganalytics 14.0.0 (2025-07-01)
    "Microsoft.OperationalInsights": {"2025-07-01", "2025-02-01", "2023-09-01", "2022-10-01", "2021-06-01",
                                      "2020-08-01"},
    # azure-mgmt-applicationinsights 4.1.0: components 2020-02-02
    "Microsoft.Insights": {"2020-02-02", "2015-05-01"},
}

# Key Vault's data plane (azure-keyvault-secrets 4.12.0 sends 2026-04-01 by default).
KEYVAULT_DATA_VERSIONS = {"7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01", "2026-04-01"}
