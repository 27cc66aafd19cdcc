"""Every durable or shared state goes through the ``Store`` interface in ``base``."""
