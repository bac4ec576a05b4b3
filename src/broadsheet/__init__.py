"""Broadsheet: an open-source news publishing platform."""
