"""The two ways into the API: a coordinator's API token, an expert's link or session."""
