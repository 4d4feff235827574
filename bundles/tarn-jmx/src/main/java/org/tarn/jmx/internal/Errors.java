package org.tarn.jmx.internal;

import java.util.function.Supplier;

import org.tarn.api.TarnException;

/**
 * Turns engine failures into JDK exceptions, so no Tarn class crosses JMX:
 * bad input and unknown names become {@link IllegalArgumentException}, every
 * other failure {@link IllegalStateException}; the message (which starts with
 * the stable code tag, e.g. {@code TARN-2}) is kept, the cause is not.
 */
final class Errors {
    private Errors() {
    }

    static <T> T call(Supplier<T> body) {
        try {
            return body.get();
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    static void run(Runnable body) {
        try {
            body.run();
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    static RuntimeException translate(RuntimeException e) {
        if (e instanceof TarnException t) {
            RuntimeException out = switch (t.code()) {
                case INVALID_ARGUMENT, POOL_NOT_FOUND, NOT_FOUND, POOL_EXISTS ->
                        new IllegalArgumentException(t.getMessage());
                default -> new IllegalStateException(t.getMessage());
            };
            out.setStackTrace(t.getStackTrace());
            return out;
        }
        if (e.getClass().getName().startsWith("java.") && !hasForeignCause(e)) {
            return e;
        }
        // a non-JDK exception, or a JDK one carrying one: keep the text, drop the classes
        RuntimeException out = e instanceof IllegalArgumentException
                ? new IllegalArgumentException(e.toString()) : new IllegalStateException(e.toString());
        out.setStackTrace(e.getStackTrace());
        return out;
    }

    private static boolean hasForeignCause(Throwable e) {
        for (Throwable c = e.getCause(); c != null && c != e; c = c.getCause()) {
            if (!c.getClass().getName().startsWith("java.")) {
                return true;
            }
        }
        return false;
    }
}
