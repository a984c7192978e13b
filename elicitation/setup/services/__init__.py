"""Writes live here: `<entity>_<action>` functions, keyword-only, typed, inside transaction.atomic."""
