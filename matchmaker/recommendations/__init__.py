"""Match recommendations on need and output pages, feedback on matches, the matcher index."""
