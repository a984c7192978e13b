"""Setting a study up: the study and its settings, items, panel and links, consensus rule, translations."""
