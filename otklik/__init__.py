"""The shell: settings, message bus, CLI and process wiring."""
