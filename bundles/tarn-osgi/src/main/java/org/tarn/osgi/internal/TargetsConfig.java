package org.tarn.osgi.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.tarn.target.TargetSettings;

/** Configuration of the storage targets, PID {@value TargetsComponent#PID}. */
@ObjectClassDefinition(name = "Tarn storage targets", description = "Settings of the storage targets of the "
        + "engine's pools. A change unmounts every target and mounts them again with the new settings.")
@interface TargetsConfig {

    @AttributeDefinition(name = "Recovery window (ms)", description = "How long a mounted target with known "
            + "clients waits for them to reconnect and replay before it evicts the missing ones.", min = "1")
    long recoveryWindowMillis() default TargetSettings.RECOVERY_WINDOW_MILLIS;

    @AttributeDefinition(name = "Unmount wait (ms)", description = "How long an unmount (export) waits for a "
            + "change in progress on a target before it gives up.", min = "1")
    long unmountWaitMillis() default TargetSettings.UNMOUNT_WAIT_MILLIS;
}
