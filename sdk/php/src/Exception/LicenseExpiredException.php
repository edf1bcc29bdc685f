<?php

namespace Licensed\Exception;

/**
 * The license is expired: status is "expired", or license_exp has passed,
 * and the license is not in its grace period (grace_until passed or
 * absent). Also a LicenseUnusableException, with the claims.
 */
class LicenseExpiredException extends LicenseUnusableException
{
    public function errorClass(): string
    {
        return 'license_expired';
    }
}
