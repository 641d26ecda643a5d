"""Embedded-suite solutions for the cpp backend (package data)."""
