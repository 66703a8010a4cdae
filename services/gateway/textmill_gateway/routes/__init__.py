"""HTTP routes: thin handlers that turn a request into a call on the gateway's adapters."""
