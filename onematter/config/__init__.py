"""Settings, the database engine, Prefect's environment, masking: what every layer stands on."""
