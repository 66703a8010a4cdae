"""`textmill`, the command line of the SDK (typer + rich): `python -m textmill_client.cli`."""
