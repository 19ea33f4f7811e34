"""How the releases reach Helm: the provider that signs in to an EKS cluster with short-lived tokens
(:func:`eks_helm_provider`) and the split of a release's values into one JSON document and the Terraform references
passed with ``set`` (:func:`split_references`).

Usage::

    from vtc_constructs.release_helm import eks_helm_provider

    eks_helm_provider(stack, "helm", cluster_name=name, endpoint=endpoint, certificate_authority_data=ca,
                      region="eu-west-1")
"""

from __future__ import annotations

from typing import Any, Mapping

from cdktf import Fn
from constructs import Construct

from cdktf_cdktf_provider_helm.provider import HelmProvider, HelmProviderKubernetes, HelmProviderKubernetesExec

from ._common import is_string_token

def eks_helm_provider(scope: Construct, id: str, *, cluster_name: str, endpoint: str,
                      certificate_authority_data: str, region: str) -> HelmProvider:
    """A Helm provider for an EKS cluster that signs in with short-lived tokens from ``aws eks get-token`` (the
    AWS CLI, with whatever credentials the deploy runs with: an OIDC role in CI), never a stored credential.

    :param certificate_authority_data: the cluster's CA as EKS gives it (base64); decoded here.
    """
    provider = HelmProvider(scope, id, kubernetes=HelmProviderKubernetes(
        host=endpoint, cluster_ca_certificate=Fn.base64decode(certificate_authority_data),
        exec=HelmProviderKubernetesExec(api_version="client.authentication.k8s.io/v1beta1", command="aws",
                                        args=["eks", "get-token", "--cluster-name", cluster_name, "--region",
                                              region, "--output", "json"])))
    provider.__dict__[_HELM_REGION] = region  # ClusterReleases checks it against its own region
    return provider


_HELM_REGION = "_vtc_region"


def split_references(values: Any, path: str = "") -> tuple[Any, dict[str, str]]:
    """``values`` without the strings that are Terraform references, and those references by Helm ``--set`` path
    (dots in keys escaped, list items as ``[i]``): a reference cannot sit inside a JSON document Terraform sees as
    one string, and a ``set`` entry shows in a plan as what it is."""
    refs: dict[str, str] = {}
    if isinstance(values, Mapping):
        kept = {}
        for key, value in values.items():
            inner, found = split_references(value, f"{path}.{key.replace('.', chr(92) + '.')}" if path
                                            else key.replace(".", "\\."))
            refs.update(found)
            if inner is not _DROPPED:
                kept[key] = inner
        return kept, refs
    if isinstance(values, (list, tuple)):
        kept_list = []
        for i, value in enumerate(values):
            inner, found = split_references(value, f"{path}[{i}]")
            refs.update(found)
            kept_list.append("" if inner is _DROPPED else inner)  # keeps the indices the set paths use
        return kept_list, refs
    if is_string_token(values):
        return _DROPPED, {path: values}
    return values, refs


_DROPPED = object()
