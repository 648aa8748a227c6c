"""The cookies the platform sets itself (each must also be listed in the policy's cookies)."""

# The visitor's cookie choice (strictly necessary, set only once the visitor chooses).
CONSENT_COOKIE = "kf_consent"
# The returning-visitor and promotion cookies the platform sets itself after consent.
RETURNING_COOKIE = "kf_returning"
CAMPAIGN_COOKIE = "kf_campaign"
# Set only when a visitor closes the notice of a policy change: the version they closed it for.
NOTICE_COOKIE = "kf_notice"
