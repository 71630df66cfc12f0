"""The operator console (/operator): search, contract histories, disputes, suspensions, and the
audit log of everything operators do."""
