"""Checks of deploy/: the Dockerfile, the Compose file and the Kubernetes manifests."""
