package org.tarn.engine.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.ExportHook;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;

/**
 * The export hooks of an engine, and the one way they are called: around
 * every clean export and destroy ({@link #aroundCleanExport}) and after every
 * force export ({@link #forceExported}), whoever asked for it — an operator,
 * the engine's own close, {@code failmode=export}, a leaving driver.
 */
final class ExportHooks {
    private static final Logger LOG = LoggerFactory.getLogger(ExportHooks.class);

    private final List<ExportHook> hooks = new CopyOnWriteArrayList<>();

    void add(ExportHook hook) {
        hooks.add(Objects.requireNonNull(hook, "hook"));
    }

    void remove(ExportHook hook) {
        hooks.remove(hook);
    }

    /**
     * Runs a clean export or destroy with the hooks around it: every hook
     * lets go of the pool first, in registration order; when a hook refuses
     * or the export fails, the hooks already called take the pool back, in
     * reverse order, and the failure is rethrown.
     */
    void aroundCleanExport(Spa spa, Runnable export) {
        List<ExportHook> called = new ArrayList<>();
        try {
            for (ExportHook h : hooks) {
                called.add(h);
                h.beforeExport(spa);
            }
            export.run();
        } catch (RuntimeException e) {
            if (spa.state() != PoolState.EXPORTED) {
                TarnException cause = e instanceof TarnException t ? t
                        : new TarnException(ErrorCode.IO_ERROR, e.getMessage(), e);
                for (int i = called.size() - 1; i >= 0; i--) {
                    try {
                        called.get(i).exportFailed(spa, cause);
                    } catch (RuntimeException ex) {
                        LOG.warn("export hook failed to take pool '{}' back: {}", spa.name(), ex.toString());
                    }
                }
            }
            throw e;
        }
    }

    /** Tells every hook of a force export; a failing hook is logged, never stops the others. */
    void forceExported(Spa spa, String reason) {
        for (ExportHook h : hooks) {
            try {
                h.forceExported(spa.name(), spa.guid(), reason);
            } catch (RuntimeException ex) {
                LOG.warn("export hook failed on the force export of pool '{}': {}", spa.name(), ex.toString());
            }
        }
    }
}
