"""Helpers of the security credential use cases (GBCS CS02a-CS02g): ASN.1 value trees and certificate checks."""
