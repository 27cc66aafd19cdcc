"""Socket.IO namespaces: parse the payload, call the services, acknowledge. Thin."""
