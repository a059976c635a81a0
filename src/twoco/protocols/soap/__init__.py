"""SOAP 1.1, rpc/encoded, as 2Checkout serves it."""

from twoco.protocols.soap.adapter import SoapAdapter

__all__ = ["SoapAdapter"]
