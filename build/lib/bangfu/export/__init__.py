"""Files out: tables as CSV/Excel and layers as GeoPackage, GeoJSON, Shapefile or Excel."""
