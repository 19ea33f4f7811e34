"""The pgvector bootstrap (the Lambda's code) against a real PostgreSQL 16 with pgvector, on loopback."""

from __future__ import annotations

import time

import pg8000.native
import pytest

from tooling.postgres import LocalPostgres
from vtc_constructs.pgvector_bootstrap import handler

APP = {"database": "vtc", "app_role": "vtc_app", "app_schema": "vtc"}


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    with LocalPostgres(tmp_path_factory.mktemp("postgres")) as pg:
        admin = pg8000.native.Connection(user=pg.user, password=pg.password, host=pg.host, port=pg.port,
                                         database="postgres")
        admin.run("CREATE DATABASE vtc")
        admin.close()
        yield pg


def run(pg, **overrides):
    arguments = dict(host=pg.host, port=pg.port, user=pg.user, password=pg.password, ssl_context=None, **APP)
    arguments.update(overrides)
    return handler.run(**arguments)


def test_first_run_creates_extension_role_schema_and_grants(postgres):
    started = time.perf_counter()
    result = run(postgres)
    print(f"first bootstrap: {time.perf_counter() - started:.3f} s, {result}")
    assert result["extension"] == "vector" and result["version"]
    # CONNECT is not granted: PostgreSQL (and RDS) give it to PUBLIC, and the bootstrap only adds what is missing.
    assert result["changed"] == ["extension vector", "role vtc_app", "schema vtc", "search_path of vtc_app"]


def test_second_run_is_a_no_op(postgres):
    run(postgres)
    started = time.perf_counter()
    result = run(postgres)
    print(f"repeat bootstrap: {time.perf_counter() - started:.3f} s")
    assert result["changed"] == []


def test_the_created_role_can_store_and_search_vectors(postgres):
    run(postgres)
    # On RDS the role signs in with IAM; here it gets a password (test set-up only) to sign in as itself.
    admin = pg8000.native.Connection(user=postgres.user, password=postgres.password, host=postgres.host,
                                     port=postgres.port, database="vtc")
    admin.run("ALTER ROLE vtc_app PASSWORD 'app-test-only'")
    admin.close()
    connection = pg8000.native.Connection(user="vtc_app", password="app-test-only", host=postgres.host,
                                          port=postgres.port, database="vtc")
    try:
        assert connection.run("SELECT current_user, current_setting('search_path')") == [["vtc_app", "vtc, public"]]
        connection.run("CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, embedding vector(3))")
        connection.run("INSERT INTO items VALUES (1, '[1,2,3]'), (2, '[1,2,4]'), (3, '[9,9,9]') "
                       "ON CONFLICT DO NOTHING")
        nearest = connection.run("SELECT id, embedding <-> '[1,2,3.9]' AS distance FROM items ORDER BY 2 LIMIT 2")
        assert [row[0] for row in nearest] == [2, 1]
        assert connection.run("SELECT schemaname, tableowner FROM pg_tables WHERE tablename = 'items'") == [
            ["vtc", "vtc_app"]]
    finally:
        connection.close()


def test_the_app_role_is_not_privileged(postgres):
    run(postgres)
    connection = pg8000.native.Connection(user=postgres.user, password=postgres.password, host=postgres.host,
                                          port=postgres.port, database="vtc")
    try:
        assert connection.run("SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
                              "WHERE rolname = 'vtc_app'") == [[False, False, False, False]]
    finally:
        connection.close()


def test_bad_credentials_give_one_clear_line(postgres):
    with pytest.raises(handler.BootstrapError) as raised:
        run(postgres, password="wrong")
    message = str(raised.value)
    assert message == (f"cannot connect to {postgres.host}:{postgres.port}/vtc: password authentication failed "
                       "for user 'postgres' (is the secret current?)")
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_unreachable_host_gives_one_clear_line(postgres):
    with pytest.raises(handler.BootstrapError, match=r"^cannot reach 127\.0\.0\.1:1: .*is the database running, and "
                                                     r"does its security group admit this function\?\)$"):
        run(postgres, port=1)


def test_a_missing_database_is_named(postgres):
    with pytest.raises(handler.BootstrapError, match=r'^cannot connect to .*/nope: database "nope" does not exist$'):
        run(postgres, database="nope")


@pytest.mark.parametrize("field, value", [("app_role", "rds_superuser"), ("app_schema", "Robert'); DROP"),
                                          ("database", "")])
def test_identifiers_are_checked_before_any_sql(postgres, field, value):
    with pytest.raises(handler.BootstrapError, match=f"^{field} .* is not allowed"):
        run(postgres, **{field: value})
