"""Development tooling shared by the tests and the end-to-end job (``python -m tooling.demo``).

Not part of the published library: it drives real Terraform, checkov and the local AWS emulator against the
synthesized stacks.
"""
