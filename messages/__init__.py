"""The paint: jinja2 templates per surface (text now; Slack and Teams beside it) and their renderers."""
