"""The broker's pipeline: deals carried from mining to landing, service and showcase."""
