"""What the cluster side puts into a :class:`~vtc_constructs.search.SearchDomain`, as data: the index lifecycle (ISM)
policies, the writers' security-plugin roles and the index patterns each writer owns. Re-exported by
``vtc_constructs.search``, where they were until issue 27 (the policies' description still names
``vtc_constructs.search.ism_policy``: it is in every deployed policy, and the name still works).

Usage::

    from vtc_constructs.search_index import LOG_INDEX_PATTERNS, ism_policy, writer_security_role

    ism_policy("vtc-logs", LOG_INDEX_PATTERNS, hot_days=7, retention_days=30)   # PUT _plugins/_ism/policies/vtc-logs
    writer_security_role(LOG_INDEX_PATTERNS)                                  # PUT _plugins/_security/api/roles/...

**Index lifecycle** (so the domain does not fill): AWS's Terraform provider cannot create Index State Management
policies (they are OpenSearch REST API objects, not AWS resources, and the ``opensearch`` Terraform provider is not
used here), so this module provides them as data: :func:`ism_policy` (and :meth:`SearchDomain.search_ism_policy`,
with the props' ``index_hot_days`` and ``index_retention_days``) returns the JSON body of
``PUT _plugins/_ism/policies/<id>``: writable ("hot") for N days, then read-only and force-merged to one segment,
then deleted when the index is ``index_retention_days`` old; its ``ism_template`` attaches it to every new index
matching the patterns. It reaches the domain from the cluster side, signed as the master role: a Helm hook Job (or an
init step) of the logging release that PUTs the policy, the security plugin's role mappings
(:func:`writer_security_role`) and the index templates before Fluent Bit's and Jaeger's first write. A policy
attaches to indices created after it exists only, hence "before the first write". Ref:
https://docs.opensearch.org/latest/im-plugin/ism/policies/
"""

from __future__ import annotations

import re
from typing import Sequence

from .errors import ConfigError, Problem, is_string_tuple, is_whole, raise_if_any


#: The indices each writer owns: Fluent Bit's container logs (``logs-<kind>-YYYY.MM.DD``) and Jaeger's spans, services,
#: dependencies and sampling (``jaeger-*``, Jaeger v2's OpenSearch indices without a prefix). The writers' IAM
#: policies, security-plugin roles and index lifecycles are scoped to these patterns.
LOG_INDEX_PATTERNS = ("logs-*",)
TRACE_INDEX_PATTERNS = ("jaeger-*",)


# --- index lifecycle, as data ----------------------------------------------------------------------------------------

ISM_MAX_DAYS = 3650
_POLICY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_INDEX_PATTERN = re.compile(r"^[a-z0-9*][a-z0-9*._-]*$")


def ism_problems(hot_days: object, retention_days: object, *, hot_path: str = "index_hot_days",
                 retention_path: str = "index_retention_days") -> list[Problem]:
    if not is_whole(hot_days) or not 1 <= hot_days <= ISM_MAX_DAYS:
        return [Problem(hot_path, hot_days, f"a whole number of days, 1 to {ISM_MAX_DAYS}",
                        "give the days an index stays writable")]
    if not is_whole(retention_days) or not hot_days <= retention_days <= ISM_MAX_DAYS:
        return [Problem(retention_path, retention_days, f"a whole number of days, from {hot_path} ({hot_days}) to "
                        f"{ISM_MAX_DAYS}", "keep indices at least as long as they stay writable",
                        "retention shorter than the hot period" if is_whole(retention_days) else "invalid value")]
    return []


def ism_policy(policy_id: str, index_patterns: Sequence[str], *, hot_days: int, retention_days: int,
               replicas: int | None = None, priority: int = 100) -> dict:
    """The body of ``PUT _plugins/_ism/policies/<policy_id>``: indices matching ``index_patterns`` stay writable
    ``hot_days``, are then made read-only and force-merged to one segment (less heap and disk per index), and are
    deleted when ``retention_days`` old (index age, from creation). ``replicas``: default, the index's own replica
    count; 0 on a single-node domain (a replica cannot be placed there, and the cluster would stay yellow). Raises
    :class:`ConfigError` with every problem. Ref: https://docs.opensearch.org/latest/im-plugin/ism/policies/"""
    problems = ism_problems(hot_days, retention_days, hot_path="hot_days", retention_path="retention_days")
    if not isinstance(policy_id, str) or not _POLICY_ID.match(policy_id):
        problems.append(Problem("policy_id", policy_id, "1-64 of a-z, 0-9, '-' and '_', starting with a letter or "
                                "digit", "name the policy after what it keeps, e.g. 'vtc-logs'"))
    if not is_string_tuple(index_patterns) or not index_patterns:
        problems.append(Problem("index_patterns", index_patterns, "a non-empty list of index patterns",
                                "e.g. ['logs-*']"))
    else:
        problems += [Problem(f"index_patterns[{i}]", p, "a lower-case index name or pattern (a-z, 0-9, '*', '.', "
                             "'_', '-'), not starting with '.' (system indices) or '_'", "e.g. 'logs-*'")
                     for i, p in enumerate(index_patterns) if not _INDEX_PATTERN.match(p)]
    if replicas is not None and (not is_whole(replicas) or replicas < 0):
        problems.append(Problem("replicas", replicas, "a whole number >= 0, or nothing", "0 on a single-node domain"))
    if not is_whole(priority) or priority < 0:
        problems.append(Problem("priority", priority, "a whole number >= 0", "the default, 100, suits one policy"))
    raise_if_any(problems)
    hot_actions = [] if replicas is None else [{"replica_count": {"number_of_replicas": replicas}}]
    states = [{"name": "hot", "actions": hot_actions, "transitions": []},
              {"name": "read_only", "actions": [{"read_only": {}}, {"force_merge": {"max_num_segments": 1}}],
               "transitions": []},
              {"name": "delete", "actions": [{"delete": {}}], "transitions": []}]
    if hot_days == retention_days:  # nothing to keep read-only: straight from hot to deletion
        states.pop(1)
    for state, following in zip(states, states[1:]):
        age = retention_days if following["name"] == "delete" else hot_days
        state["transitions"] = [{"state_name": following["name"], "conditions": {"min_index_age": f"{age}d"}}]
    return {"policy": {
        "description": f"{policy_id}: writable {hot_days} days, read-only after, deleted at {retention_days} days "
                       "(vtc_constructs.search.ism_policy)",
        "default_state": "hot",
        "states": states,
        "ism_template": [{"index_patterns": list(index_patterns), "priority": priority}],
    }}


#: What a writer (Fluent Bit, Jaeger) needs of the cluster, beside its own indices: health checks, bulk requests and
#: its index templates. Ref: https://docs.opensearch.org/latest/security/access-control/default-action-groups/
WRITER_CLUSTER_PERMISSIONS = ("cluster_monitor", "cluster_composite_ops", "indices:admin/template/get",
                              "indices:admin/template/put", "indices:admin/index_template/get",
                              "indices:admin/index_template/put")
WRITER_INDEX_ACTIONS = ("crud", "create_index", "indices:admin/mapping/put", "indices:admin/get")


def writer_security_role(index_patterns: Sequence[str]) -> dict:
    """The body of ``PUT _plugins/_security/api/roles/<role>`` for a writer confined to ``index_patterns``; map it to
    the writer's IAM role with ``PUT _plugins/_security/api/rolesmapping/<role>`` and ``{"backend_roles": [<role
    ARN>]}``. Readers map to the predefined ``readall`` role the same way. (The domain's resource policy only lets these
    roles in; fine-grained access control decides what each may do.)"""
    if not is_string_tuple(index_patterns) or not index_patterns or \
            not all(_INDEX_PATTERN.match(p) for p in index_patterns):
        raise ConfigError([Problem("index_patterns", index_patterns, "a non-empty list of index patterns (a-z, 0-9, "
                                   "'*', '.', '_', '-')", "e.g. ['logs-*']")])
    return {"cluster_permissions": list(WRITER_CLUSTER_PERMISSIONS),
            "index_permissions": [{"index_patterns": list(index_patterns),
                                   "allowed_actions": list(WRITER_INDEX_ACTIONS)}]}
