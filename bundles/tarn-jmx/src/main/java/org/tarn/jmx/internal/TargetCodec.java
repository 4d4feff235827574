package org.tarn.jmx.internal;

import java.util.List;

import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import javax.management.openmbean.TabularData;
import javax.management.openmbean.TabularDataSupport;
import javax.management.openmbean.TabularType;

import org.tarn.target.RecoveryStatus;
import org.tarn.target.Target;

/** Conversions of targets to open types and text; one table indexed by {@code pool/name}. */
final class TargetCodec {
    private static final String[] ITEMS = {"target", "pool", "name", "role", "state", "lastTransno",
        "lastCommitted", "recovery", "failure"};
    /** One target. */
    static final CompositeType TARGET_ROW;
    /** Targets indexed by {@code target} ({@code pool/name}). */
    static final TabularType TARGETS;

    static {
        try {
            TARGET_ROW = new CompositeType("tarn.Target", "One storage target", ITEMS, new String[] {
                "The target as pool/name", "The pool it lives in", "Its name within the pool", "MDT or OST",
                "RECOVERING, ACTIVE, UNMOUNTING, UNMOUNTED or FAILED", "The highest transaction number given out",
                "Every transaction number up to this one is on disk", "NONE, RECOVERING or COMPLETE",
                "Why it failed; empty when it did not"},
                new OpenType<?>[] {SimpleType.STRING, SimpleType.STRING, SimpleType.STRING, SimpleType.STRING,
                    SimpleType.STRING, SimpleType.LONG, SimpleType.LONG, SimpleType.STRING, SimpleType.STRING});
            TARGETS = new TabularType("tarn.Targets", "Storage targets by pool/name", TARGET_ROW,
                    new String[] {"target"});
        } catch (OpenDataException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TargetCodec() {
    }

    static TabularData targets(List<Target> targets) {
        TabularDataSupport out = new TabularDataSupport(TARGETS);
        for (Target t : targets) {
            try {
                out.put(new CompositeDataSupport(TARGET_ROW, ITEMS, new Object[] {t.pool() + "/" + t.name(),
                    t.pool(), t.name(), t.role() == null ? "" : t.role().name(), t.state().name(), t.lastTransno(),
                    t.lastCommitted(), t.recovery().phase().name(), t.failure().orElse("")}));
            } catch (OpenDataException e) {
                throw new IllegalStateException("cannot encode " + t + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    static String statusText(Target t) {
        RecoveryStatus r = t.recovery();
        StringBuilder sb = new StringBuilder();
        sb.append("  target: ").append(t.pool()).append('/').append(t.name()).append('\n');
        sb.append("    role: ").append(t.role()).append('\n');
        sb.append("   state: ").append(t.state()).append(t.failure().map(f -> " (" + f + ")").orElse("")).append('\n');
        sb.append(" transno: ").append(t.lastTransno()).append(" (last_committed ").append(t.lastCommitted())
                .append(")\n");
        sb.append(" clients: ").append(t.clients().size()).append(t.clients().isEmpty() ? "" : " " + t.clients())
                .append('\n');
        sb.append("recovery: ").append(TargetControl.recoveryLine(r)).append('\n');
        return sb.toString();
    }
}
