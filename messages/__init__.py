"""What people read: jinja2 templates per surface (text, Slack, Teams), one name on every surface, and their
renderers (render.py)."""
