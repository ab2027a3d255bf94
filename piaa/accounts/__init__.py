"""Accounts: users, roles, organisations (agency, provider, MDO), login and API tokens."""
