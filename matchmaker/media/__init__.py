"""Attachments on listings, landed-project stories and product exhibits, and their images."""
