"""SOAP 1.1, rpc/encoded, as 2Checkout serves it: ``codec`` (envelopes), ``wsdl``, ``adapter`` (the endpoint).

Nothing is imported here, so that the client (``twoco.client.soap``) can use the codec's envelope
without loading the server.
"""
