"""An in-memory stand-in for the Apache Iggy server's user and personal-access-token HTTP API.

- `dialects` names the server generations it can play (first, legacy, renaming, stable, edge)
  and, release by release, what each changes on the wire; its docstring is the table a client
  is built against.
- `state` holds the model (users, hashed PATs, HS256 JWTs, refresh tokens, the lazy expiry
  cleaner) and the error ids, codes, reasons and statuses of each dialect.
- `server` serves it over HTTP with the routes, answer shapes, status codes and body
  rejections (`axum_json`) of the chosen dialect; `SandboxServer` also takes test controls:
  fault injection and request recording (`faults`), and the edge server's 503s.
It backs `iggy sandbox` and the end-to-end tests; it imports nothing of the client side and
persists nothing.
"""
