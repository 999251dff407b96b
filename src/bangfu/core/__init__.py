"""Foundations every layer uses: interface labels, coded vocabularies, errors, atomic files."""
