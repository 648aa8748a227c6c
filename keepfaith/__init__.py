"""keepfaith: customer-facing systems that keep their privacy policy by construction."""
