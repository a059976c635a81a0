"""twoco: the 2Checkout (Avangate) merchant API's customer part, self-hosted."""

__version__ = "0.1.0"
