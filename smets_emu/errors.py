"""The project's one exception hierarchy.

Every failure that crosses a library edge is a :class:`SmetsError`; decoders never
let ``construct``, ``asn1crypto`` or ``cryptography`` exceptions escape.
"""

from __future__ import annotations


class SmetsError(Exception):
    """Base of every error raised by smets-emu."""


class FrameError(SmetsError):
    """Bytes that are not a well-formed GBCS structure (envelope or payload)."""


class EncodeError(SmetsError):
    """Field values that cannot be encoded into a GBCS structure."""


class CryptoError(SmetsError):
    """A cryptographic operation failed."""


class MacError(CryptoError):
    """A GBCS MAC (truncated GMAC tag) did not verify (GBCS 6.2.4)."""


class SignatureError(CryptoError):
    """An ECDSA signature did not verify (GBCS 6.2.4)."""


class DecryptionError(CryptoError):
    """Encrypted content failed its authentication tag (GBCS 6.2.4)."""


class KeyMaterialError(CryptoError):
    """A key or certificate is missing, malformed or of the wrong kind."""


class KeystoreError(SmetsError):
    """A keystore folder or one of its files could not be read."""


class PkiError(SmetsError):
    """A certificate could not be generated or does not meet the SMKI profile."""


class DuisError(SmetsError):
    """A DUIS service request or response could not be read or built (DCC User Interface Specification)."""


class DuisXmlError(DuisError):
    """XML that is malformed, too large, too deep, or uses a forbidden construct (DTD, entity, external reference)."""


class ValidationError(DuisError):
    """Well-formed XML that is not a valid DUIS service request (missing or malformed header or body field)."""


class StateError(SmetsError):
    """The emulator's persisted state is missing, inconsistent or could not be written."""


class TransportError(SmetsError):
    """A serial port, pty or socket could not be opened or failed while in use."""


class LinkClosed(TransportError):
    """The far end of a frame link closed the stream."""


class InputError(SmetsError):
    """A file, stream or argument given to a command is missing, too large or malformed."""
