"""What tests share, imported by name (`from helpers.cli import Cli`): running `iggy`
(cli.py), the sandbox and the server's own view (servers.py), the leak check (leaks.py),
misbehaving servers, proxies and keyrings to inject faults from outside, and the real Secret
Service and Iggy's own Rust CLI as peers. conftest.py holds only the fixtures."""
