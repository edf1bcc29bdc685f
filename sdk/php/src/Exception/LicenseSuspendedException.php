<?php

namespace Licensed\Exception;

/**
 * The license is suspended: status is "suspended". Also a LicenseUnusableException, with the
 * claims.
 */
class LicenseSuspendedException extends LicenseUnusableException
{
    public function errorClass(): string
    {
        return 'license_suspended';
    }
}
