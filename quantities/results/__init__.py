"""The coordinator's quantity results page and its CSV tables, read from the shown aggregation run."""
