package org.tarn.api;

import java.util.Objects;

/**
 * The one domain exception of Tarn. Its {@link #code()} is stable; its message
 * names the pool, the device and what an operator can do about it, and starts
 * with the code's tag, e.g. {@code "TARN-11 pool 'ost1' was force-exported"}.
 */
public class TarnException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public TarnException(ErrorCode code, String message) {
        super(code.tag() + " " + message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public TarnException(ErrorCode code, String message, Throwable cause) {
        super(code.tag() + " " + message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The stable reason of this failure. */
    public ErrorCode code() {
        return code;
    }
}
