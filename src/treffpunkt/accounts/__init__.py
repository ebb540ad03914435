"""Accounts: platform admins and guides, their passwords and API tokens."""
