"""The Slack door: Bolt listeners, Block Kit rendering and outbox delivery through slack_sdk."""
