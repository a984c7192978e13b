"""Running rounds: open and close, invitations and reminders, planning the next round, messages, moderation."""
