"""Translation catalogs and knowledge content, shipped as package data."""
