"""Every rule of the agent_guard pack, in catalogue order. Importing this starts nothing."""

from __future__ import annotations

from . import (
    agent_ownership,
    agentcore_gateway_authorizer,
    aws_hidden_identities,
    aws_access_key,
    aws_admin_managed_policy,
    aws_unknown_managed_policy,
    aws_login_profile,
    aws_agent_iam_user,
    aws_api_route_auth,
    aws_broad_actions,
    aws_cross_account_trust,
    aws_data_service_grants,
    aws_eks_cluster_admin,
    aws_foreign_account_access,
    aws_foreign_sharing,
    aws_iam_user_grants,
    aws_kms_foreign_admin,
    aws_kms_grant,
    aws_lambda_public,
    aws_literal_secret,
    aws_notaction_allow,
    aws_oidc_provider_audience,
    aws_oidc_trust,
    aws_opensearch_serverless_access,
    aws_s3_public_acl,
    aws_secret_in_plaintext,
    aws_service_static_keys,
    aws_privilege_escalation,
    aws_public_principal,
    aws_public_sharing,
    aws_role_escalation,
    aws_star_resource,
    aws_unresolved_policy,
    aws_unseen_role_target,
    aws_user_static_credential,
    azure_anonymous_data_access,
    azure_broad_assignment_scope,
    azure_broad_custom_role,
    azure_cosmos_data_plane,
    azure_federated_credential,
    azure_key_vault_access_policy,
    azure_literal_secret,
    azure_privileged_role,
    azure_read_everything,
    azure_shared_access_keys,
    azure_unknown_role,
    cognito_implicit_flow,
    cognito_unauthenticated_identities,
    cognitive_local_auth,
    credential_lifetime,
    entra_app_flows,
    entra_custom_directory_role,
    entra_graph_app_role,
    entra_password_credential,
    entra_pim_group_privileged,
    entra_privileged_app_owner,
    entra_privileged_directory_role,
    gcp_agent_broad_binding,
    gcp_api_key_restrictions,
    gcp_basic_roles,
    gcp_custom_role_escalation,
    gcp_hmac_key,
    gcp_impersonation_escalation,
    gcp_public_members,
    gcp_service_account_impersonation,
    gcp_service_account_key,
    gcp_wif_provider_pinned,
    inventory_tags,
    k8s_agent_cluster_secrets,
    k8s_powerful_binding,
    k8s_rbac_bypass_group,
    k8s_rbac_escalation,
    k8s_rbac_escalation_paths,
    k8s_rbac_wildcards,
    k8s_secret_literal,
    k8s_service_account_token_secret,
    policy_actions_known,
    policy_unparseable,
    provider_static_credentials,
    storage_shared_key,
    unjudgeable_resources,
    unknown_packages,
)
from .base import Rule

RULES: tuple[Rule, ...] = tuple(module.RULE for module in (
    # static credentials
    aws_access_key, aws_login_profile, aws_user_static_credential, aws_iam_user_grants, aws_literal_secret,
    aws_secret_in_plaintext, aws_agent_iam_user, aws_service_static_keys, entra_password_credential, cognito_implicit_flow, storage_shared_key,
    cognitive_local_auth,
    azure_shared_access_keys, azure_literal_secret, gcp_service_account_key, gcp_hmac_key, provider_static_credentials,
    k8s_secret_literal, k8s_service_account_token_secret,
    # unreadable policies fail closed
    policy_unparseable, policy_actions_known, aws_unknown_managed_policy, aws_unresolved_policy, aws_unseen_role_target,
    aws_hidden_identities, unjudgeable_resources, unknown_packages,
    # broad grants
    aws_broad_actions, aws_notaction_allow, aws_star_resource, aws_admin_managed_policy, aws_eks_cluster_admin,
    aws_data_service_grants, aws_opensearch_serverless_access,
    azure_privileged_role, azure_broad_assignment_scope, azure_broad_custom_role, azure_unknown_role,
    azure_key_vault_access_policy, azure_read_everything, azure_cosmos_data_plane,
    entra_privileged_directory_role, gcp_basic_roles, gcp_agent_broad_binding, gcp_api_key_restrictions, k8s_rbac_wildcards,
    k8s_agent_cluster_secrets, k8s_powerful_binding, k8s_rbac_bypass_group,
    # privilege escalation
    aws_privilege_escalation, aws_role_escalation, entra_graph_app_role, gcp_impersonation_escalation, gcp_custom_role_escalation,
    gcp_service_account_impersonation, k8s_rbac_escalation, k8s_rbac_escalation_paths, entra_custom_directory_role,
    entra_privileged_app_owner, entra_pim_group_privileged,
    # weak trust
    aws_public_principal, aws_oidc_trust, aws_cross_account_trust, azure_federated_credential, entra_app_flows,
    gcp_wif_provider_pinned,
    # public or cross-account access
    aws_kms_foreign_admin, aws_kms_grant, aws_foreign_account_access, aws_lambda_public, aws_public_sharing, aws_foreign_sharing,
    cognito_unauthenticated_identities, aws_oidc_provider_audience,
    agentcore_gateway_authorizer, aws_api_route_auth, aws_s3_public_acl, gcp_public_members, azure_anonymous_data_access,
    # lifetimes and inventory
    credential_lifetime, inventory_tags, agent_ownership,
))

RULES_BY_ID = {rule.id: rule for rule in RULES}
if len(RULES_BY_ID) != len(RULES):
    raise RuntimeError("duplicate rule ids")


def rules_for_type(type_token: str) -> list[Rule]:
    return [rule for rule in RULES if rule.applies_to(type_token)]
