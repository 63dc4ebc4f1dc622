"""Protocol Buffers contracts (gRPC API) and their generated stubs."""
