"""The application icon (SVG source, 256-px PNG rendered from it) and the script that renders it."""
