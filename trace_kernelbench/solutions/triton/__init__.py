"""Embedded-suite solutions for the triton backend (package data)."""
