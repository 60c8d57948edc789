"""The service layer: the ConfigurationEngine facade and the rules of every operation."""
