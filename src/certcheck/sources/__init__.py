"""Lookup sources: where certificates are looked up (national lookup, registry file, plugins)."""
