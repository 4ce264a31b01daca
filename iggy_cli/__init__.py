"""iggy-cli: manage Apache Iggy personal access tokens. No imports: keeps --version instant."""

__version__ = "0.1.0"
