"""The workspace: declarative layer schema, the GeoPackage store and the validators."""
