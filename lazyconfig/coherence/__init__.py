"""Keeping processes in step: read lease, host head, watcher, coalesced head query, group commit, notifier and feed. It imports db and domain, never the service."""
