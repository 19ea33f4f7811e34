"""pgvector bootstrap: enable the ``vector`` extension and create the application role and schema. Idempotent.

Runs as a Lambda function inside the VPC, invoked by Terraform (``aws_lambda_invocation``) on every deploy whose
inputs changed. The event names the master secret (never its value), the host and the names to create::

    {"secret_arn": "arn:aws:secretsmanager:...", "host": "...rds.amazonaws.com", "port": 5432,
     "database": "vtc", "app_role": "vtc_app", "app_schema": "vtc"}

The master credentials are read from Secrets Manager at run time. Errors are raised as :class:`BootstrapError`
with one line that says what failed and where, which Terraform shows as the invocation's error.

Only this file, AWS's RDS CA bundle (``rds-global-bundle.pem``, see README.md) and pure-Python libraries (pg8000 and
its dependencies) go into the function's package.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from pathlib import Path
from typing import Any, Callable

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
RESERVED_ROLES = {"postgres", "rdsadmin", "rds_superuser", "rds_iam", "public", "pg_monitor"}


class BootstrapError(Exception):
    """The bootstrap could not do its work; the message says what failed, never a stack trace."""


def _identifier(kind: str, value: object) -> str:
    if not isinstance(value, str) or not IDENTIFIER.match(value) or value in RESERVED_ROLES:
        raise BootstrapError(f"{kind} {value!r} is not allowed: use a lower-case SQL identifier "
                             f"(a-z, 0-9, _), not one of {sorted(RESERVED_ROLES)}")
    return value


def connect(*, host: str, port: int, user: str, password: str, database: str,
            ssl_context: ssl.SSLContext | None, timeout: float = 10) -> pg8000.native.Connection:
    """Connect, or raise :class:`BootstrapError` naming the host and the reason."""
    try:
        return pg8000.native.Connection(user=user, password=password, host=host, port=port, database=database,
                                        ssl_context=ssl_context, timeout=timeout)
    except DatabaseError as exc:
        details = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        reason = details.get("M", str(exc))
        if details.get("C") == "28P01":
            reason = f"password authentication failed for user {user!r} (is the secret current?)"
        raise BootstrapError(f"cannot connect to {host}:{port}/{database}: {reason}") from None
    except (InterfaceError, OSError) as exc:
        raise BootstrapError(f"cannot reach {host}:{port}: {exc.__class__.__name__}: {exc} "
                             "(is the database running, and does its security group admit this function?)") from None


def bootstrap(connection: pg8000.native.Connection, *, database: str, app_role: str, app_schema: str
              ) -> dict[str, Any]:
    """Create what is missing; return the extension version and what changed (empty on a second run)."""
    database = _identifier("database", database)
    role = _identifier("app_role", app_role)
    schema = _identifier("app_schema", app_schema)
    changed: list[str] = []

    if not connection.run("SELECT 1 FROM pg_extension WHERE extname = 'vector'"):
        connection.run("CREATE EXTENSION IF NOT EXISTS vector")
        changed.append("extension vector")
    if not connection.run("SELECT 1 FROM pg_roles WHERE rolname = :role", role=role):
        # No password: on RDS the application signs in with IAM (rds_iam), never with a stored secret.
        connection.run(f'CREATE ROLE "{role}" LOGIN')
        changed.append(f"role {role}")
    if connection.run("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'") and not connection.run(
            "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member "
            "WHERE r.rolname = 'rds_iam' AND u.rolname = :role", role=role):
        connection.run(f'GRANT rds_iam TO "{role}"')
        changed.append(f"grant rds_iam to {role}")
    if not connection.run("SELECT 1 FROM pg_namespace WHERE nspname = :schema", schema=schema):
        connection.run(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{role}"')
        changed.append(f"schema {schema}")
    if not connection.run("SELECT has_database_privilege(:role, :db, 'CONNECT')", role=role, db=database)[0][0]:
        connection.run(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        changed.append(f"grant connect on {database} to {role}")
    search_path = f"search_path={schema}, public"
    settings = connection.run("SELECT unnest(setconfig) FROM pg_db_role_setting s JOIN pg_roles r "
                              "ON r.oid = s.setrole WHERE r.rolname = :role AND s.setdatabase = 0", role=role)
    if [search_path] not in settings:
        # The vector type lives in public (where CREATE EXTENSION put it); the role's own tables in its schema.
        connection.run(f'ALTER ROLE "{role}" SET search_path = "{schema}", public')
        changed.append(f"search_path of {role}")
    version = connection.run("SELECT extversion FROM pg_extension WHERE extname = 'vector'")[0][0]
    return {"extension": "vector", "version": version, "changed": changed}


def run(*, host: str, port: int, user: str, password: str, database: str, app_role: str, app_schema: str,
        ssl_context: ssl.SSLContext | None) -> dict[str, Any]:
    connection = connect(host=host, port=port, user=user, password=password, database=database,
                         ssl_context=ssl_context)
    try:
        return bootstrap(connection, database=database, app_role=app_role, app_schema=app_schema)
    except DatabaseError as exc:
        details = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        raise BootstrapError(f"bootstrap of {database} on {host} failed: {details.get('M', exc)}") from None
    finally:
        connection.close()


#: AWS's RDS CA bundle, beside this file in the function's package (provenance and fingerprints: README.md here).
CA_BUNDLE = Path(__file__).with_name("rds-global-bundle.pem")


def rds_ssl_context(ca_bundle: Path = CA_BUNDLE) -> ssl.SSLContext:
    """TLS that proves the server is the RDS instance (the parameter group sets rds.force_ssl=1): its certificate
    must chain to one of AWS's RDS CAs (``ca_bundle``, and nothing else: not the runtime's public CAs) and name the
    host connected to. The master credentials never go to a server that cannot show both."""
    if not ca_bundle.is_file():
        raise BootstrapError(f"the RDS CA bundle {ca_bundle.name} is missing from the function's package: "
                             "the bootstrap will not send the master credentials to an unverified server")
    context = ssl.create_default_context(cafile=str(ca_bundle))
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


#: How long an AccessDenied on the master secret is retried: the permission to read it is created in the same deploy,
#: just before the invocation (the function itself does not wait for it), and IAM takes seconds to apply a new policy.
PERMISSION_PATIENCE_SECONDS = 60.0


def read_secret(client: Any, secret_arn: str, *, patience: float = PERMISSION_PATIENCE_SECONDS,
                sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """``GetSecretValue``, retried (1, 2, 4, ... s) while it is refused with ``AccessDeniedException`` for at most
    ``patience`` seconds in all; any other failure, or a refusal that outlasts the patience, raises
    :class:`BootstrapError` at once."""
    waited, delay = 0.0, 1.0
    while True:
        try:
            return client.get_secret_value(SecretId=secret_arn)
        except Exception as exc:  # noqa: BLE001 - any SDK failure becomes one clear line
            code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
            if code != "AccessDeniedException" or waited + delay > patience:
                after = f" (still refused after {waited:.0f} s)" if waited else ""
                raise BootstrapError(f"cannot read the master secret {secret_arn}: {exc}{after}") from None
        sleep(delay)
        waited, delay = waited + delay, delay * 2


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    import boto3  # in the Lambda runtime; imported here so that tests of bootstrap() need no AWS SDK set-up

    ssl_context = rds_ssl_context()  # before the secret is read: no credentials without a verified connection
    secret = read_secret(boto3.client("secretsmanager"), event["secret_arn"])
    credentials = json.loads(secret["SecretString"])
    result = run(host=event["host"], port=int(event["port"]), user=credentials["username"],
                 password=credentials["password"], database=event["database"], app_role=event["app_role"],
                 app_schema=event["app_schema"], ssl_context=ssl_context)
    print(json.dumps(result))  # to the function's log group
    return result
