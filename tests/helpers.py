"""Small helpers for fine-grained assertions on synthesized Terraform JSON."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from typing import Callable, Iterator

from cdktf import TerraformOutput, Testing, TerraformStack
from constructs import Construct

from cdktf_cdktf_provider_aws.provider import AwsProvider


def synth(build: Callable[[Construct], object]) -> dict:
    """Synthesize one construct into a throwaway stack (with a provider) and return the parsed Terraform JSON."""
    app = Testing.app()
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region="eu-west-1")
    build(stack)
    # to_terraform() rather than Testing.synth(): it keeps each resource's "//" metadata (its construct path),
    # which the assertions use to find resources by construct ID.
    return json.loads(json.dumps(stack.to_terraform()))


def synth_outputs(build: Callable[[Construct], dict]) -> tuple[dict, dict]:
    """Like :func:`synth`, for typed outputs: ``build`` returns ``{name: typed output}``; returns the Terraform JSON
    and what each output resolves to (``${type.logical_id.attribute}`` references), to compare with :func:`ref`."""
    def build_with_probe(stack: Construct) -> None:
        TerraformOutput(stack, "vtc-test-probe", value=build(stack))

    tf = synth(build_with_probe)
    return tf, tf["output"].pop("vtc-test-probe")["value"]


def resources(tf: dict, kind: str, data: bool = False) -> dict[str, dict]:
    """Resources (or, with ``data``, data sources) of one Terraform type, by logical id."""
    return tf.get("data" if data else "resource", {}).get(kind, {})


def by_path(tf: dict, kind: str, path: str, data: bool = False) -> dict:
    """The one resource (or data source) of ``kind`` whose construct path ends with ``path``."""
    matches = [r for r in resources(tf, kind, data).values() if r["//"]["metadata"]["path"].endswith("/" + path)]
    assert len(matches) == 1, f"{len(matches)} {kind} at .../{path}"
    return matches[0]


def ref(tf: dict, kind: str, path: str, attribute: str = "id", data: bool = False) -> str:
    """The Terraform reference ``${kind.<logical id>.attribute}`` of the resource (or data source) at ``path``."""
    prefix = "data." if data else ""
    for logical_id, resource in resources(tf, kind, data).items():
        if resource["//"]["metadata"]["path"].endswith("/" + path):
            return "${" + f"{prefix}{kind}.{logical_id}.{attribute}" + "}"
    raise AssertionError(f"no {kind} at .../{path}")


def assert_one_problem(problems, expected: str) -> None:
    """Exactly one problem, matching the regular expression ``expected``, and carrying a fix."""
    import re

    found = [str(p) for p in problems]
    assert len(found) == 1, found
    assert re.search(expected, found[0]), found[0]
    assert "; fix: " in found[0]


@contextlib.contextmanager
def loopback_http_server(handler: type, **attributes) -> Iterator[http.server.ThreadingHTTPServer]:
    """A threaded HTTP server on 127.0.0.1 (a free port) serving ``handler``, with ``attributes`` set on it for the
    handler to read; shut down, closed and its thread joined when the block ends."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for name, value in attributes.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        assert not thread.is_alive()


def seal(public_key, namespace: str, name: str, plaintext: bytes) -> str:
    """``kubeseal --raw``'s output for one value, strict scope: sealed-secrets 0.36's HybridEncrypt
    (pkg/crypto/crypto.go): a random 32-byte AES key, RSA-OAEP(SHA-256) encrypted with the label
    ``<namespace>/<name>``, as a 2-byte big-endian length and the RSA ciphertext, then AES-256-GCM of the value with
    a zero nonce; base64."""
    import base64
    import os

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    session = os.urandom(32)
    label = f"{namespace}/{name}".encode()
    wrapped = public_key.encrypt(session, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                                       label=label))
    body = AESGCM(session).encrypt(b"\0" * 12, plaintext, None)
    return base64.b64encode(len(wrapped).to_bytes(2, "big") + wrapped + body).decode()


def unseal(private_key, namespace: str, name: str, sealed: str) -> bytes:
    """What the controller does with :func:`seal`'s output (HybridDecrypt, strict scope)."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = base64.b64decode(sealed)
    length = int.from_bytes(raw[:2], "big")
    session = private_key.decrypt(raw[2:2 + length], padding.OAEP(
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=f"{namespace}/{name}".encode()))
    return AESGCM(session).decrypt(b"\0" * 12, raw[2 + length:], None)


def safe_load_all(stream):
    """``yaml.safe_load_all`` with libyaml's parser (the same safe constructor): helm's renders are parsed several
    hundred times a run, about ten times faster than with the pure-Python parser."""
    import yaml

    from tooling.crds import SAFE_LOADER

    return yaml.load_all(stream, Loader=SAFE_LOADER)


def safe_load(stream):
    """``yaml.safe_load`` with libyaml's parser (one document)."""
    import yaml

    from tooling.crds import SAFE_LOADER

    return yaml.load(stream, Loader=SAFE_LOADER)
