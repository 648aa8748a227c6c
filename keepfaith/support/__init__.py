"""Support: information requests and support tickets (SITE-3, BE-3), kept for the retention
the policy states for their use and purged by ``keepfaith support purge``."""
