"""Exports of the lists (research outputs, technology needs) as xlsx and CSV, with the filters
and search of the page and the rows and columns its viewer sees there."""
