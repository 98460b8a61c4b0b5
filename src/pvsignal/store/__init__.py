"""The Parquet lake (layout, manifest, rejects) and the query engines over it."""
