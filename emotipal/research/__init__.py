"""Research: studies, electronic consent, enrollment and participant states, de-identified exports, analyses."""
