"""Files in: upload guard, readers, encodings, column mapping, CRS detection, checks, the import pipeline."""
