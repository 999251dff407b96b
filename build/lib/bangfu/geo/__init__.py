"""Geometry helpers with no workspace knowledge: coordinate systems and the proximity engine."""
