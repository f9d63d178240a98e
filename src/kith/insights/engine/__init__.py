"""The analytics engine: pure functions over Polars frames and NumPy arrays, no Django import,
so the same code scores the database (through kith.insights.jobs) and an analyst's CSV file."""
