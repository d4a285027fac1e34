"""The security credential use cases (GBCS 13.3.5, CS02a-CS02g), one module per use case, on the typed
ASN.1 models of :mod:`smets_emu.protocols.payloads.asn1_models`, plus the certificate checks
(:mod:`~smets_emu.emulator.credentials.certpath`) and injected faults; registered on a device model by
:class:`smets_emu.emulator.security_credentials.SecurityCredentials`."""
