"""An in-memory stand-in for the Apache Iggy server's user and personal-access-token HTTP API.

`state` holds the model (one root user, hashed PATs, HS256 JWTs, the lazy expiry cleaner) and
`server` serves it over HTTP with the status codes, error bodies and body rejections of the real
server: stable (0.3.0 - 0.8.0) by default, the 0.9.0-edge differences behind a switch. It backs
`iggy sandbox` and the end-to-end tests; nothing is persisted.
"""
