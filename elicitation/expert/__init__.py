"""The expert's side: a personal link becomes a session; consent, the rating form, feedback, submit."""
