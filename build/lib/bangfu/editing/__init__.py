"""Versioned edits with an append-only history: the engine and the road and pairing rules."""
