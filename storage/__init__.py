"""The database: connection, numbered migrations and one repository per aggregate."""
