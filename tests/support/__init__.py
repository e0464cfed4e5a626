"""Test helpers shared across the suite (loopback servers and the like)."""
