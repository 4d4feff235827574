package org.tarn.jmx;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import javax.management.MBeanOperationInfo;

/**
 * Describes an MBean operation: what it does and its impact, one of
 * {@link MBeanOperationInfo#INFO}, {@link MBeanOperationInfo#ACTION},
 * {@link MBeanOperationInfo#ACTION_INFO}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Operation {
    String desc();

    int impact();
}
