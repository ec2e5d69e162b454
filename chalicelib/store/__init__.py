"""DynamoDB storage: one table (`table.py`), entity keys (`entities.py`) and one module per concern."""
