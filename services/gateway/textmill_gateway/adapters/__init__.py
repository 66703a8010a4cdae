"""The gateway's I/O: uploads off the wire, GridFS files, API keys in MongoDB."""
