"""Generated from the app by `make generate` (iggy_cli/cli/spec.py): do not edit.

The command tree and the rendered `--help` pages that the start-up fast path (entry.py,
tab.py) serves without typer; a test fails when this drifts from the app.
"""

# Annotations only for mypy: a module-level annotation is evaluated at import, and `typing`
# costs more than this whole module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP_WIDTH = 78
TREE: "dict[str, dict[str, dict[str, Any]]]" = {
    "": {
        "commands": {
            "completion": "Print or install the TAB-completion script for bash, zsh...",
            "config": "Remember settings per server; show where each setting...",
            "context": "Named server profiles: URL, user, store, TLS; never a...",
            "login": "Log in with a password and keep a session token in the...",
            "logout": "Delete the session token on the server and in the keyring.",
            "pat": "Create, list, rotate, delete and log in with personal...",
            "sandbox": "Run an in-memory stand-in for an Iggy server until Ctrl-C.",
            "status": "Show the server, the credential in use and where tokens...",
        },
        "options": {
            "--ca-cert": [True, None, "Trust this CA certificate (PEM)."],
            "--context": [True, None, "Named server profile [env: IGGY_CONTEXT]."],
            "--debug": [False, None, "Show the traceback of an unexpected error."],
            "--field": [True, None, "Print only this field of the data."],
            "--help": [False, None, "Show this message and exit."],
            "--http-api-url": [True, None, "Server's HTTP API [env: IGGY_URL] (default http://localhost:3000)."],
            "--insecure": [False, None, "Do not verify the server's TLS certificate."],
            "--no-color": [False, None, "No colour, even on a terminal [env: NO_COLOR]."],
            "--output": [True, ["table", "json", "csv", "plain", "env"], "table (default), json, csv, plain (a value a line) or env (VAR=token) [env: IGGY_OUTPUT]."],
            "--password": [True, None, "Visible to others: prefer IGGY_PASSWORD."],
            "--password-stdin": [False, None, "Read the password from stdin."],
            "--quiet": [False, None, "Print only the data."],
            "--server-dialect": [True, ["auto", "first", "legacy", "renaming", "stable", "edge"], "auto (default), first, legacy, renaming, stable or edge [env: IGGY_SERVER_DIALECT]."],
            "--store": [True, ["keyring", "file", "none"], "keyring (default), file (unencrypted) or none [env: IGGY_STORE]."],
            "--timeout": [True, None, "Request deadline (10) [env: IGGY_TIMEOUT]."],
            "--token-name": [True, None, "Log in with the token stored as NAME."],
            "--token-stdin": [False, None, "Read a raw token from stdin [or IGGY_TOKEN]."],
            "--url": [True, None, "Server's HTTP API [env: IGGY_URL] (default http://localhost:3000)."],
            "--username": [True, None, "Log in as this user [env: IGGY_USERNAME]."],
            "--utc": [False, None, "Show times in UTC, not the local time zone."],
            "--verbose": [False, None, "Show each HTTP exchange, secrets masked."],
            "--version": [False, None, "Print the version."],
            "-h": [False, None, "Show this message and exit."],
            "-n": [True, None, "Log in with the token stored as NAME."],
            "-o": [True, ["table", "json", "csv", "plain", "env"], "table (default), json, csv, plain (a value a line) or env (VAR=token) [env: IGGY_OUTPUT]."],
            "-p": [True, None, "Visible to others: prefer IGGY_PASSWORD."],
            "-q": [False, None, "Print only the data."],
            "-u": [True, None, "Log in as this user [env: IGGY_USERNAME]."],
            "-v": [False, None, "Show each HTTP exchange, secrets masked."],
        },
    },
    "completion": {
        "commands": {
            "install": "Write the completion script where SHELL looks for it.",
            "show": "Print the completion script for SHELL.",
        },
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "completion install": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "completion show": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "config": {
        "commands": {
            "set": "Remember KEY = VALUE for the server in force.",
            "show": "Show this run's settings and where each comes from.",
            "unset": "Forget the remembered KEY for the server in force.",
        },
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "config set": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "config show": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "config unset": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "context": {
        "commands": {
            "create": "Create (or replace) a context.",
            "delete": "Delete a context (tokens stay where they are).",
            "import": "Import the contexts of Iggy's own CLI; its files are only...",
            "list": "List the contexts; the current one is marked.",
            "set": "Change one setting of a context, or remove it.",
            "show": "Show a context's settings.",
            "use": "Make NAME the current context (`none` for no context).",
        },
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "context create": {
        "commands": {},
        "options": {
            "--ca-cert": [True, None, "CA certificate (PEM)."],
            "--help": [False, None, "Show this message and exit."],
            "--insecure": [False, None, "Do not verify TLS (warns on use)."],
            "--keyring-address": [True, None, "Name keyring entries by this address, as Iggy's CLI does (its TCP one)."],
            "--store": [True, ["keyring", "file", "none"], "keyring, file or none."],
            "--timeout": [True, None, "Seconds to wait for the server."],
            "--url": [True, None, "The server's HTTP API address (required)."],
            "--use": [False, None, "Make it the current context."],
            "--username": [True, None, "Log in as this user."],
            "-h": [False, None, "Show this message and exit."],
            "-u": [True, None, "Log in as this user."],
        },
    },
    "context delete": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "context import": {
        "commands": {},
        "options": {
            "--copy-secrets": [False, None, "Also copy their tokens and passwords into the keyring (never over another)."],
            "--file": [True, None, "Iggy's contexts.toml [default: $IGGY_HOME or ~/.iggy]."],
            "--help": [False, None, "Show this message and exit."],
            "--use": [False, None, "Make the context Iggy's CLI has active the current one."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "context list": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "context set": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "context show": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "context use": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "login": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "logout": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "--local": [False, None, "Forget the session here without asking the server."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "pat": {
        "commands": {
            "create": "Create a token and store it in the OS keyring.",
            "delete": "Delete tokens on the server and their keyring copies.",
            "exec": "Run COMMAND with a stored token in its environment only.",
            "list": "List your tokens with their expiry and whether a copy is...",
            "login": "Log in with a token and make it this server's session.",
            "prune": "Delete rotation leftovers; with flags, expired tokens or...",
            "rotate": "Replace a token's secret and keep its name.",
            "show": "Show one token: its expiry, and where its copy is stored.",
            "token": "Print the stored raw token NAME and nothing else, for...",
        },
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "pat create": {
        "commands": {},
        "options": {
            "--env": [True, None, "The variable -o env sets (default IGGY_TOKEN)."],
            "--help": [False, None, "Show this message and exit."],
            "--no-store": [False, None, "Print the token instead of storing it."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "pat delete": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "--yes": [False, None, "Do not ask for confirmation."],
            "-h": [False, None, "Show this message and exit."],
            "-y": [False, None, "Do not ask for confirmation."],
        },
    },
    "pat exec": {
        "commands": {},
        "options": {
            "--env": [True, None, "The variable for NAME (default IGGY_TOKEN); VAR=NAME adds token NAME as VAR (repeatable)."],
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "pat list": {
        "commands": {},
        "options": {
            "--expired": [False, None, "Only expired tokens; exit 8 if any."],
            "--expiring-within": [True, None, "Only tokens that expire within DURATION (7d, 12h); exit 8 if any."],
            "--help": [False, None, "Show this message and exit."],
            "--include-session": [False, None, "Let the login session's own token (15 minutes) count for the filters too."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "pat login": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "--yes": [False, None, "Replace a login session without asking."],
            "-h": [False, None, "Show this message and exit."],
            "-y": [False, None, "Replace a login session without asking."],
        },
    },
    "pat prune": {
        "commands": {},
        "options": {
            "--dry-run": [False, None, "Say what would go; change nothing."],
            "--expired": [False, None, "Also delete expired tokens and their copies."],
            "--help": [False, None, "Show this message and exit."],
            "--orphans": [False, None, "Also remove stored copies of tokens the server lacks."],
            "--yes": [False, None, "Do not ask for confirmation."],
            "-h": [False, None, "Show this message and exit."],
            "-y": [False, None, "Do not ask for confirmation."],
        },
    },
    "pat rotate": {
        "commands": {},
        "options": {
            "--env": [True, None, "The variable -o env sets (default IGGY_TOKEN)."],
            "--grace": [True, None, "With --no-store: keep the old token working for DURATION (10m, 1h); the new one takes the name's twin (NAME.b). `pat prune` deletes the old one after."],
            "--help": [False, None, "Show this message and exit."],
            "--no-store": [False, None, "Print the new token instead of storing it; keep nothing."],
            "--yes": [False, None, "Rotate a token with no stored copy here too."],
            "-h": [False, None, "Show this message and exit."],
            "-y": [False, None, "Rotate a token with no stored copy here too."],
        },
    },
    "pat show": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "pat token": {
        "commands": {},
        "options": {
            "--env": [True, None, "The variable -o env sets (default IGGY_TOKEN)."],
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "sandbox": {
        "commands": {},
        "options": {
            "--busy": [True, None, "Edge: answer the first N requests (not /ping) 503 + Retry-After, doing nothing."],
            "--create-not-committed": [True, None, "Edge: create the first N tokens but answer 503 'not committed'."],
            "--dialect": [True, None, "The server generation to behave as [default: stable]."],
            "--edge": [False, None, "Same as --dialect edge."],
            "--help": [False, None, "Show this message and exit."],
            "--host": [True, None, "Address to listen on."],
            "--password": [True, None, "The root user's password."],
            "--port": [True, None, "Port to listen on (0: any free port)."],
            "--server-version": [True, None, "A release inside the dialect, e.g. 0.0.42 or 0.2.16 [default: its newest]."],
            "--user": [True, None, "Another user, with no permissions (repeatable)."],
            "--username": [True, None, "The root user's name."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
    "status": {
        "commands": {},
        "options": {
            "--help": [False, None, "Show this message and exit."],
            "-h": [False, None, "Show this message and exit."],
        },
    },
}
HELP: "dict[str, str]" = {
    "": (
        "Usage: iggy [OPTIONS] COMMAND [ARGS]...\n"
        "\n"
        "  Manage personal access tokens of Apache Iggy servers; tokens are kept in the\n"
        "  OS keyring.\n"
        "\n"
        "Tokens:\n"
        "  pat  Create, list, rotate, delete and log in with personal access tokens.\n"
        "\n"
        "Session:\n"
        "  login    Log in with a password and keep a session token in the keyring.\n"
        "  logout   Delete the session token on the server and in the keyring.\n"
        "  status   Show the server, the credential in use and where tokens live.\n"
        "  context  Named server profiles: URL, user, store, TLS; never a secret.\n"
        "  config   Remember settings per server; show where each setting comes from.\n"
        "\n"
        "Tools:\n"
        "  sandbox     Run an in-memory stand-in for an Iggy server until Ctrl-C.\n"
        "  completion  Print or install the TAB-completion script for bash, zsh or\n"
        "              fish.\n"
        "\n"
        "  Examples:\n"
        "    iggy sandbox                        # a stand-in server on localhost:3000\n"
        "    iggy -u iggy login                  # a session: 15 minutes, or `login 8h`\n"
        "    iggy pat create deploy 30d          # a token, kept in the OS keyring\n"
        "    iggy pat list --expiring-within 7d  # exit 8 when any are found\n"
        "    TOKEN=$(iggy pat token deploy)      # the raw token, for a script\n"
        "\n"
        "Options:\n"
        "  --context NAME             Named server profile [env: IGGY_CONTEXT].\n"
        "  --url, --http-api-url URL  Server's HTTP API [env: IGGY_URL] (default\n"
        "                             http://localhost:3000).\n"
        "  -u, --username USER        Log in as this user [env: IGGY_USERNAME].\n"
        "  -p, --password PASSWORD    Visible to others: prefer IGGY_PASSWORD.\n"
        "  --password-stdin           Read the password from stdin.\n"
        "  -n, --token-name NAME      Log in with the token stored as NAME.\n"
        "  --token-stdin              Read a raw token from stdin [or IGGY_TOKEN].\n"
        "  -o, --output FORMAT        table (default), json, csv, plain (a value a\n"
        "                             line) or env (VAR=token) [env: IGGY_OUTPUT].\n"
        "  -q, --quiet                Print only the data.\n"
        "  --field NAME               Print only this field of the data.\n"
        "  --store KIND               keyring (default), file (unencrypted) or none\n"
        "                             [env: IGGY_STORE].\n"
        "  --timeout SECONDS          Request deadline (10) [env: IGGY_TIMEOUT].\n"
        "  --server-dialect NAME      auto (default), first, legacy, renaming, stable\n"
        "                             or edge [env: IGGY_SERVER_DIALECT].\n"
        "  --ca-cert FILE             Trust this CA certificate (PEM).\n"
        "  --insecure                 Do not verify the server's TLS certificate.\n"
        "  --no-color                 No colour, even on a terminal [env: NO_COLOR].\n"
        "  --utc                      Show times in UTC, not the local time zone.\n"
        "  -v, --verbose              Show each HTTP exchange, secrets masked.\n"
        "  --debug                    Show the traceback of an unexpected error.\n"
        "  --version                  Print the version.\n"
        "  -h, --help                 Show this message and exit.\n"
    ),
    "completion": (
        "Usage: iggy completion [OPTIONS] COMMAND [ARGS]...\n"
        "\n"
        "  Print or install the TAB-completion script for bash, zsh or fish.\n"
        "\n"
        "Commands:\n"
        "  show     Print the completion script for SHELL.\n"
        "  install  Write the completion script where SHELL looks for it.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
    ),
    "completion install": (
        "Usage: iggy completion install [OPTIONS] SHELL:{bash|zsh|fish}\n"
        "\n"
        "  Write the completion script where SHELL looks for it.\n"
        "\n"
        "  Examples:\n"
        "    iggy completion install bash\n"
        "    iggy completion install fish\n"
        "\n"
        "Arguments:\n"
        "  SHELL:{bash|zsh|fish}  bash, zsh or fish.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "completion show": (
        "Usage: iggy completion show [OPTIONS] SHELL:{bash|zsh|fish}\n"
        "\n"
        "  Print the completion script for SHELL.\n"
        "\n"
        "  Examples:\n"
        "    iggy completion show bash > ~/.local/share/bash-completion/completions/iggy\n"
        "    eval \"$(iggy completion show zsh)\"\n"
        "\n"
        "Arguments:\n"
        "  SHELL:{bash|zsh|fish}  bash, zsh or fish.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "config": (
        "Usage: iggy config [OPTIONS] COMMAND [ARGS]...\n"
        "\n"
        "  Remember settings per server; show where each setting comes from.\n"
        "\n"
        "Commands:\n"
        "  set    Remember KEY = VALUE for the server in force.\n"
        "  unset  Forget the remembered KEY for the server in force.\n"
        "  show   Show this run's settings and where each comes from.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
    ),
    "config set": (
        "Usage: iggy config set [OPTIONS] KEY VALUE\n"
        "\n"
        "  Remember KEY = VALUE for the server in force.\n"
        "\n"
        "  A flag, the environment or a context still wins over a remembered value.\n"
        "\n"
        "  Examples:\n"
        "    iggy config set store file\n"
        "    iggy --url https://iggy.example.com:3000 config set timeout 30\n"
        "\n"
        "Arguments:\n"
        "  KEY    store, timeout, username, keyring_address or server_dialect.\n"
        "  VALUE  The value to remember.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "config show": (
        "Usage: iggy config show [OPTIONS]\n"
        "\n"
        "  Show this run's settings and where each comes from.\n"
        "\n"
        "  Examples:\n"
        "    iggy config show\n"
        "    iggy --context prod config show -o json\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "config unset": (
        "Usage: iggy config unset [OPTIONS] KEY\n"
        "\n"
        "  Forget the remembered KEY for the server in force.\n"
        "\n"
        "  Examples:\n"
        "    iggy config unset store\n"
        "\n"
        "Arguments:\n"
        "  KEY  store, timeout, username, keyring_address or server_dialect.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "context": (
        "Usage: iggy context [OPTIONS] COMMAND [ARGS]...\n"
        "\n"
        "  Named server profiles: URL, user, store, TLS; never a secret.\n"
        "\n"
        "Commands:\n"
        "  create  Create (or replace) a context.\n"
        "  set     Change one setting of a context, or remove it.\n"
        "  list    List the contexts; the current one is marked.\n"
        "  use     Make NAME the current context (`none` for no context).\n"
        "  show    Show a context's settings.\n"
        "  delete  Delete a context (tokens stay where they are).\n"
        "  import  Import the contexts of Iggy's own CLI; its files are only read.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
    ),
    "context create": (
        "Usage: iggy context create [OPTIONS] NAME\n"
        "\n"
        "  Create (or replace) a context.\n"
        "\n"
        "  Examples:\n"
        "    iggy context create prod --url https://iggy.example.com:3000 -u admin --use\n"
        "    iggy context create local --url http://localhost:3000 --store file\n"
        "    iggy context create rust --url http://localhost:3000 --keyring-address 127.0.0.1:8090\n"
        "\n"
        "Arguments:\n"
        "  NAME  The context's name.\n"
        "\n"
        "Options:\n"
        "  --url TEXT                   The server's HTTP API address (required).\n"
        "  -u, --username TEXT          Log in as this user.\n"
        "  --store [keyring|file|none]  keyring, file or none.\n"
        "  --timeout SECONDS            Seconds to wait for the server.\n"
        "  --ca-cert TEXT               CA certificate (PEM).\n"
        "  --insecure                   Do not verify TLS (warns on use).\n"
        "  --keyring-address TEXT       Name keyring entries by this address, as Iggy's\n"
        "                               CLI does (its TCP one).\n"
        "  --use                        Make it the current context.\n"
        "  -h, --help                   Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "context delete": (
        "Usage: iggy context delete [OPTIONS] NAME\n"
        "\n"
        "  Delete a context (tokens stay where they are).\n"
        "\n"
        "  Examples:\n"
        "    iggy context delete staging\n"
        "\n"
        "Arguments:\n"
        "  NAME  The context's name.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "context import": (
        "Usage: iggy context import [OPTIONS]\n"
        "\n"
        "  Import the contexts of Iggy's own CLI; its files are only read.\n"
        "\n"
        "  Each context keeps the keyring address Iggy's CLI uses for it (its TCP\n"
        "  address unless its transport is http), so both tools find the same tokens. A\n"
        "  token or password the context holds stays in Iggy's file and is read from\n"
        "  there when the context is used.\n"
        "\n"
        "  Examples:\n"
        "    iggy context import\n"
        "    iggy context import --use\n"
        "    iggy context import --file ./contexts.toml --copy-secrets\n"
        "\n"
        "Options:\n"
        "  --file PATH     Iggy's contexts.toml [default: $IGGY_HOME or ~/.iggy].\n"
        "  --copy-secrets  Also copy their tokens and passwords into the keyring (never\n"
        "                  over another).\n"
        "  --use           Make the context Iggy's CLI has active the current one.\n"
        "  -h, --help      Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "context list": (
        "Usage: iggy context list [OPTIONS]\n"
        "\n"
        "  List the contexts; the current one is marked.\n"
        "\n"
        "  Examples:\n"
        "    iggy context list\n"
        "    iggy context list -o plain\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "context set": (
        "Usage: iggy context set [OPTIONS] NAME KEY [VALUE]\n"
        "\n"
        "  Change one setting of a context, or remove it.\n"
        "\n"
        "  Examples:\n"
        "    iggy context set prod store file\n"
        "    iggy context set prod timeout 30\n"
        "    iggy context set prod username\n"
        "    iggy context set rust keyring_address 127.0.0.1:8090\n"
        "\n"
        "Arguments:\n"
        "  NAME     The context's name.\n"
        "  KEY      One of: url, username, store, timeout, ca_cert, insecure,\n"
        "           keyring_address, server_dialect.\n"
        "  [VALUE]  The new value; leave it out to remove the key.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "context show": (
        "Usage: iggy context show [OPTIONS] [NAME]\n"
        "\n"
        "  Show a context's settings.\n"
        "\n"
        "  Examples:\n"
        "    iggy context show\n"
        "    iggy context show prod -o json\n"
        "\n"
        "Arguments:\n"
        "  [NAME]  Default: the one in force.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "context use": (
        "Usage: iggy context use [OPTIONS] NAME\n"
        "\n"
        "  Make NAME the current context (`none` for no context).\n"
        "\n"
        "  Examples:\n"
        "    iggy context use prod\n"
        "\n"
        "Arguments:\n"
        "  NAME  The context's name.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "login": (
        "Usage: iggy login [OPTIONS] [EXPIRY]...\n"
        "\n"
        "  Log in with a password and keep a session token in the keyring.\n"
        "\n"
        "  As Iggy's own CLI does, this creates the server token 'iggy-cli-session'\n"
        "  (replacing an older one) and keeps it in the keyring; later commands sign in\n"
        "  with it when given no other credential.\n"
        "\n"
        "  Examples:\n"
        "    iggy -u iggy login\n"
        "    iggy -u iggy login 8h\n"
        "    printf %s \"$PASS\" | iggy -u admin --password-stdin login 8h\n"
        "\n"
        "Arguments:\n"
        "  [EXPIRY]...  Lifetime as words that are summed: 30d, '1h 30m', 2weeks, 90min\n"
        "               (1M is 30.44 days, 1y 365.25, as in Iggy's CLI); a date,\n"
        "               2027-01-31 (the start of that day), or an RFC 3339 time,\n"
        "               2027-01-31T12:00:00+01:00; never/none/unlimited for no expiry;\n"
        "               server_default for the server's default. Default: 15m, or\n"
        "               session_expiry (`iggy config set session_expiry 8h`,\n"
        "               IGGY_SESSION_EXPIRY).\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "logout": (
        "Usage: iggy logout [OPTIONS]\n"
        "\n"
        "  Delete the session token on the server and in the keyring.\n"
        "\n"
        "  Examples:\n"
        "    iggy logout\n"
        "    iggy logout --local\n"
        "\n"
        "Options:\n"
        "  --local     Forget the session here without asking the server.\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "pat": (
        "Usage: iggy pat [OPTIONS] COMMAND [ARGS]...\n"
        "\n"
        "  Create, list, rotate, delete and log in with personal access tokens.\n"
        "\n"
        "Commands:\n"
        "  create  Create a token and store it in the OS keyring.\n"
        "  list    List your tokens with their expiry and whether a copy is stored.\n"
        "  delete  Delete tokens on the server and their keyring copies.\n"
        "  login   Log in with a token and make it this server's session.\n"
        "  show    Show one token: its expiry, and where its copy is stored.\n"
        "  token   Print the stored raw token NAME and nothing else, for `$(...)`.\n"
        "  exec    Run COMMAND with a stored token in its environment only.\n"
        "  rotate  Replace a token's secret and keep its name.\n"
        "  prune   Delete rotation leftovers; with flags, expired tokens or orphans.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
    ),
    "pat create": (
        "Usage: iggy pat create [OPTIONS] NAME [EXPIRY]...\n"
        "\n"
        "  Create a token and store it in the OS keyring.\n"
        "\n"
        "  Without EXPIRY the token never expires, as with Iggy's own CLI.\n"
        "\n"
        "  Examples:\n"
        "    iggy pat create deploy 30d\n"
        "    iggy pat create release 2027-01-31\n"
        "    TOKEN=$(iggy pat create ci-job 1h 30m -q --no-store)\n"
        "    iggy pat create ci-job 1h --no-store -o env >> \"$GITHUB_ENV\"\n"
        "\n"
        "Arguments:\n"
        "  NAME         Token name, 3 to 30 bytes.\n"
        "  [EXPIRY]...  Lifetime as words that are summed: 30d, '1h 30m', 2weeks, 90min\n"
        "               (1M is 30.44 days, 1y 365.25, as in Iggy's CLI); a date,\n"
        "               2027-01-31 (the start of that day), or an RFC 3339 time,\n"
        "               2027-01-31T12:00:00+01:00; never/none/unlimited for no expiry;\n"
        "               server_default for the server's default.\n"
        "\n"
        "Options:\n"
        "  --no-store  Print the token instead of storing it.\n"
        "  --env VAR   The variable -o env sets (default IGGY_TOKEN).\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "pat delete": (
        "Usage: iggy pat delete [OPTIONS] NAMES...\n"
        "\n"
        "  Delete tokens on the server and their keyring copies.\n"
        "\n"
        "  Examples:\n"
        "    iggy pat delete deploy\n"
        "    iggy pat delete old-ci old-deploy --yes\n"
        "\n"
        "Arguments:\n"
        "  NAMES...  Token names.\n"
        "\n"
        "Options:\n"
        "  -y, --yes   Do not ask for confirmation.\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "pat exec": (
        "Usage: iggy pat exec [OPTIONS] [NAME] -- COMMAND [ARGS]...\n"
        "\n"
        "  Run COMMAND with a stored token in its environment only.\n"
        "\n"
        "  The token is read first (a missing one: exit 5, and COMMAND never starts);\n"
        "  then iggy becomes COMMAND, so the exit status, and a signal that ends it,\n"
        "  are COMMAND's own. Put -- before COMMAND. Nothing is printed and nothing is\n"
        "  written.\n"
        "\n"
        "  Examples:\n"
        "    iggy pat exec deploy -- ./deploy.sh\n"
        "    iggy pat exec deploy --env DEPLOY_TOKEN -- ./deploy.sh\n"
        "    iggy pat exec --env A_TOKEN=deploy --env B_TOKEN=ci -- ./both.sh\n"
        "\n"
        "Arguments:\n"
        "  [NAME] -- COMMAND [ARGS]...  The stored token's name, then the command and\n"
        "                               its arguments.\n"
        "\n"
        "Options:\n"
        "  --env VAR[=NAME]  The variable for NAME (default IGGY_TOKEN); VAR=NAME adds\n"
        "                    token NAME as VAR (repeatable).\n"
        "  -h, --help        Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "pat list": (
        "Usage: iggy pat list [OPTIONS]\n"
        "\n"
        "  List your tokens with their expiry and whether a copy is stored.\n"
        "\n"
        "  Examples:\n"
        "    iggy pat list\n"
        "    iggy pat list -o json\n"
        "    iggy pat list --expiring-within 7d || echo \"rotate soon\"\n"
        "\n"
        "Options:\n"
        "  --expiring-within DURATION  Only tokens that expire within DURATION (7d,\n"
        "                              12h); exit 8 if any.\n"
        "  --expired                   Only expired tokens; exit 8 if any.\n"
        "  --include-session           Let the login session's own token (15 minutes)\n"
        "                              count for the filters too.\n"
        "  -h, --help                  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "pat login": (
        "Usage: iggy pat login [OPTIONS] [NAME]\n"
        "\n"
        "  Log in with a token and make it this server's session.\n"
        "\n"
        "  `iggy logout` never deletes a token adopted this way. A session of `iggy\n"
        "  login` is replaced (its server token deleted): on a terminal, after asking.\n"
        "\n"
        "  Examples:\n"
        "    iggy pat login deploy\n"
        "    IGGY_TOKEN=... iggy pat login\n"
        "\n"
        "Arguments:\n"
        "  [NAME]  A stored token's name.\n"
        "\n"
        "Options:\n"
        "  -y, --yes   Replace a login session without asking.\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "pat prune": (
        "Usage: iggy pat prune [OPTIONS]\n"
        "\n"
        "  Delete rotation leftovers; with flags, expired tokens or orphans.\n"
        "\n"
        "  A stand-in (iggy-cli-standin-...) is left over when a rotation that made it\n"
        "  was cut short and nothing stores it any more; one an unfinished rotation\n"
        "  still needs is kept (`iggy pat rotate NAME` finishes that rotation). An old\n"
        "  token that `pat rotate --grace` kept alive is deleted once its grace is\n"
        "  over.\n"
        "\n"
        "  Examples:\n"
        "    iggy pat prune --dry-run\n"
        "    iggy pat prune --expired --orphans --yes\n"
        "\n"
        "Options:\n"
        "  --expired   Also delete expired tokens and their copies.\n"
        "  --orphans   Also remove stored copies of tokens the server lacks.\n"
        "  --dry-run   Say what would go; change nothing.\n"
        "  -y, --yes   Do not ask for confirmation.\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "pat rotate": (
        "Usage: iggy pat rotate [OPTIONS] NAME [EXPIRY]...\n"
        "\n"
        "  Replace a token's secret and keep its name.\n"
        "\n"
        "  The stored copy works at every moment: a stand-in token that lives 10\n"
        "  minutes bridges the gap. Without EXPIRY the new token ends when the old one\n"
        "  would have. If a rotation was cut short, running it again carries it through\n"
        "  from where it stopped.\n"
        "\n"
        "  With --no-store the new token is printed and nothing is kept; a token\n"
        "  created here with --no-store rotates that way by default.\n"
        "\n"
        "  Examples:\n"
        "    iggy pat rotate deploy\n"
        "    iggy pat rotate deploy 30d\n"
        "    iggy pat rotate ci-deploy --no-store --yes -o env >> \"$GITHUB_ENV\"\n"
        "    iggy pat rotate ci-deploy --no-store --grace 1h --yes\n"
        "\n"
        "Arguments:\n"
        "  NAME         Token name, 3 to 30 bytes.\n"
        "  [EXPIRY]...  Lifetime as words that are summed: 30d, '1h 30m', 2weeks, 90min\n"
        "               (1M is 30.44 days, 1y 365.25, as in Iggy's CLI); a date,\n"
        "               2027-01-31 (the start of that day), or an RFC 3339 time,\n"
        "               2027-01-31T12:00:00+01:00; never/none/unlimited for no expiry;\n"
        "               server_default for the server's default.\n"
        "\n"
        "Options:\n"
        "  -y, --yes         Rotate a token with no stored copy here too.\n"
        "  --no-store        Print the new token instead of storing it; keep nothing.\n"
        "  --grace DURATION  With --no-store: keep the old token working for DURATION\n"
        "                    (10m, 1h); the new one takes the name's twin (NAME.b).\n"
        "                    `pat prune` deletes the old one after.\n"
        "  --env VAR         The variable -o env sets (default IGGY_TOKEN).\n"
        "  -h, --help        Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "pat show": (
        "Usage: iggy pat show [OPTIONS] NAME\n"
        "\n"
        "  Show one token: its expiry, and where its copy is stored.\n"
        "\n"
        "  Examples:\n"
        "    iggy pat show deploy\n"
        "    iggy pat show deploy -o json\n"
        "\n"
        "Arguments:\n"
        "  NAME  The token's name.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "pat token": (
        "Usage: iggy pat token [OPTIONS] NAME\n"
        "\n"
        "  Print the stored raw token NAME and nothing else, for `$(...)`.\n"
        "\n"
        "  With -o env, a VAR=token line for $GITHUB_ENV or a .env file. Under GitHub\n"
        "  Actions the runner is told to mask the token first. `iggy pat exec` prints\n"
        "  nothing at all.\n"
        "\n"
        "  Examples:\n"
        "    IGGY_TOKEN=$(iggy pat token deploy) ./deploy.sh\n"
        "    iggy pat token deploy -o env >> \"$GITHUB_ENV\"\n"
        "\n"
        "Arguments:\n"
        "  NAME  A stored token's name.\n"
        "\n"
        "Options:\n"
        "  --env VAR   The variable -o env sets (default IGGY_TOKEN).\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "sandbox": (
        "Usage: iggy sandbox [OPTIONS]\n"
        "\n"
        "  Run an in-memory stand-in for an Iggy server until Ctrl-C.\n"
        "\n"
        "  It serves the users and personal-access-token HTTP API only, as the chosen\n"
        "  server generation does on the wire.\n"
        "\n"
        "  Examples:\n"
        "    iggy sandbox\n"
        "    iggy sandbox --port 3001 --edge --busy 2\n"
        "    iggy sandbox --dialect legacy --server-version 0.2.16 --user alice:s3cret\n"
        "\n"
        "  Dialects (--server-version picks a release inside one):\n"
        "    first     0.0.40-0.0.50, as legacy but: 0.0.40-41 serve /pat,\n"
        "              /pat/{name}, /pat/login; logins answer {\"user_id\",\n"
        "              \"token\":\"<jwt>\"} up to 0.0.43, {\"user_id\",\"token\":\n"
        "              {\"access_token\",\"refresh_token\",\"expiry\"}} from 0.0.44;\n"
        "              no refresh before 0.0.44; logout revokes from 0.0.43.\n"
        "    legacy    0.0.51-0.2.24: logins answer {\"user_id\",\"tokens\":\n"
        "              {\"access_token\":{\"token\",\"expiry\"},\"refresh_token\":{..}}};\n"
        "              refresh takes {\"refresh_token\"}; create takes expiry in\n"
        "              u32 seconds, null = never; list rows {\"name\",\"expiry\"};\n"
        "              logout POST {} up to 0.2.16, DELETE from 0.2.17; errors\n"
        "              400 but 40->401, 41->403, 20->404; root user id 1.\n"
        "    renaming  0.3.0-0.4.140: stable's units, but names are stored\n"
        "              lower-cased, whitespace runs as \".\"; 53/77/78 are 400\n"
        "              up to 0.4.100; root user id 1.\n"
        "    stable    0.4.150-0.8.x: the baseline (default).\n"
        "    edge      0.9.0-edge.5: JSON 401s, raw PAT as bearer, /users/me,\n"
        "              503 + Retry-After (--busy, --create-not-committed).\n"
        "\n"
        "Options:\n"
        "  --host TEXT                     Address to listen on.  [default: 127.0.0.1]\n"
        "  --port INTEGER                  Port to listen on (0: any free port).\n"
        "                                  [default: 3000]\n"
        "  --username TEXT                 The root user's name.  [default: iggy]\n"
        "  --password TEXT                 The root user's password.  [default: iggy]\n"
        "  --user NAME:PASSWORD            Another user, with no permissions\n"
        "                                  (repeatable).\n"
        "  --dialect first|legacy|renaming|stable|edge\n"
        "                                  The server generation to behave as [default:\n"
        "                                  stable].\n"
        "  --server-version RELEASE        A release inside the dialect, e.g. 0.0.42 or\n"
        "                                  0.2.16 [default: its newest].\n"
        "  --edge                          Same as --dialect edge.\n"
        "  --busy N                        Edge: answer the first N requests (not\n"
        "                                  /ping) 503 + Retry-After, doing nothing.\n"
        "                                  [default: 0]\n"
        "  --create-not-committed N        Edge: create the first N tokens but answer\n"
        "                                  503 'not committed'.  [default: 0]\n"
        "  -h, --help                      Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
    "status": (
        "Usage: iggy status [OPTIONS]\n"
        "\n"
        "  Show the server, the credential in use and where tokens live.\n"
        "\n"
        "  Also says whether the server answers and when the session expires. Exits\n"
        "  non-zero when the tool is not usable as it stands (server down, no or bad\n"
        "  credential).\n"
        "\n"
        "  Examples:\n"
        "    iggy status\n"
        "    iggy status -o json\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  -o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n\n"
        "  NAME, --store KIND, --timeout SECONDS, -v; the top-level --help says what\n"
        "  each does.\n"
    ),
}
