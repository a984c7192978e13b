"""What every app uses: errors, the audit writer, access to a coordinator's studies, rate limits, sign-in."""
