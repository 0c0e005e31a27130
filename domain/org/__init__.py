"""The organisation: its tree of places and departments, user accounts, sessions and tokens, login throttling, the
audit log, and who may see and do what (permissions.py, the one place for it)."""
