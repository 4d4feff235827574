/**
 * Storage targets on Tarn datasets, as Lustre servers keep them: a named
 * dataset with a role (MDT or OST) that is mounted while its pool is
 * imported, gives every change a transaction number, reports
 * {@code last_committed} as transaction groups sync, keeps a record per
 * client and runs a recovery window after each unclean mount. Built on
 * {@code org.tarn.api} only; the implementation lives in
 * {@code org.tarn.target.internal} and is private.
 */
@Export
@Version("0.2.0")
package org.tarn.target;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
