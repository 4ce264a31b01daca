"""The use cases: each combines the HTTP client, the credential store and the local indexes.

Commands call one function here and print what it returns. One module per group of commands,
so a run imports only its own (start-up time is a feature).
"""
