package org.tarn.engine.label;

/**
 * An {@link NvList} encoding is corrupt or truncated, or a value looked up by
 * name is missing or of another type. The message names the value and says
 * what was wrong.
 */
public class NvListException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public NvListException(String message) {
        super(message);
    }

    public NvListException(String message, Throwable cause) {
        super(message, cause);
    }
}
