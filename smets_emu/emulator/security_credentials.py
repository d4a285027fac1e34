"""Security credential use cases common to every device type (GBCS CS02a-CS02g)."""

from __future__ import annotations


class SecurityCredentials:
    """Mixin holding the CS02 family handlers."""
