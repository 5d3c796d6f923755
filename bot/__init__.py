"""The doors: one module per platform, the server, the CLI and the scheduler wiring."""
