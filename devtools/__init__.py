"""Delegate developer tools (local emulators); not shipped with the app."""
