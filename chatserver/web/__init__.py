"""aiohttp application: the factory, HTTP routes and the wiring of concrete backends."""
