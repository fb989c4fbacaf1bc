"""Certificates: the status engine, signing keys, signed EU DCC (HC1) certificates, verification, revocation."""
