"""Slack: slack-bolt and slack-sdk behind ExitBot's ports (the `slack` extra). This package's
own name for the platform needs neither."""

PLATFORM = "slack"
