"""Embedded-suite solutions for the cuda backend (package data)."""
