<?php

namespace Licensed\Exception;

/**
 * The license is cancelled: status is "cancelled". Also a LicenseUnusableException, with the
 * claims.
 */
class LicenseCancelledException extends LicenseUnusableException
{
    public function errorClass(): string
    {
        return 'license_cancelled';
    }
}
