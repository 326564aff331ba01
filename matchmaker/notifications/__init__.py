"""Notifications: reminders and escalations on deals, what happens to a listing, account
e-mails, and each broker's calendar feed.

A notification is stored as its kind and parameters and rendered in the reader's language
when shown (or e-mailed, in the recipient's stored language). Its dedupe key is unique, so a
reminder is recorded once even when the daily job runs twice or late. Channels: the in-app
notification centre always, e-mail when the recipient wants it and SMTP is configured.
"""
