"""Offline folium maps: the base map, offline assets, and one module per map."""
