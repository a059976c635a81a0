"""The domain: the API's objects, operations and rules. No I/O but the store's interface (twoco.core.port)."""
