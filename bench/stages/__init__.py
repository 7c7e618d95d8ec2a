"""One module per benchmark stage; each returns a JSON-ready dictionary of its figures."""
