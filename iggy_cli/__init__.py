"""iggy-cli: manage Apache Iggy personal access tokens. Kept import-free so `--version` is instant."""

__version__ = "0.1.0"
