"""Bulk import of research outputs and technology needs from Excel and CSV files.

The pure parts (columns, reading, values, dedupe, workbooks) know no Flask and no database;
services.py plans and applies an import through the profiles' services, jobs.py runs it in the
background, views.py and cli.py are its two doors.
"""
