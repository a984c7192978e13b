"""The expert's side of quantity questions: the form's blocks, the feedback, the autosave."""
