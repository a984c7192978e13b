"""The coordinator's dashboard: server-rendered charts and tables over the aggregation results."""
