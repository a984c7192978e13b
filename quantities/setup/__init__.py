"""The coordinator's quantity pages: the study's format, the questions, the seeds' true values."""
