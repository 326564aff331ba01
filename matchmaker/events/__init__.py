"""Matchmaking events (对接会): the meeting schedule solver; events, schedules and reminders."""
