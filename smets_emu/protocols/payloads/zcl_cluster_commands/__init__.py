"""Command payload grammars of the Smart Energy clusters GBCS uses, one module per cluster (SE 1.4 Annex D)."""
