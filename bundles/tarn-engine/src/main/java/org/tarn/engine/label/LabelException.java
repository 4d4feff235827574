package org.tarn.engine.label;

import java.util.Objects;

import org.tarn.api.ErrorCode;

/**
 * Why a label, an uberblock slot or a whole label area was rejected. The
 * message is the reason as an operator reads it ({@code "not a Tarn label"},
 * {@code "format version 3 is newer than supported 1"}); the {@link Kind} lets
 * the engine choose an {@link ErrorCode} without parsing it.
 */
public class LabelException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The class of rejection. */
    public enum Kind {
        /** No Tarn magic: a blank area or another format's data. */
        NOT_A_LABEL(ErrorCode.NO_VALID_LABEL),
        /** Written by a newer format than this engine reads. */
        UNSUPPORTED_VERSION(ErrorCode.UNSUPPORTED_VERSION),
        /** A length field is out of range. */
        BAD_LENGTH(ErrorCode.NO_VALID_LABEL),
        /** The stored checksum does not match the contents: torn or corrupted. */
        BAD_CHECKSUM(ErrorCode.CHECKSUM_MISMATCH),
        /** The checksum matches but the contents do not decode. */
        CORRUPT(ErrorCode.NO_VALID_LABEL),
        /** The label lies (partly) beyond the end of the device. */
        TRUNCATED(ErrorCode.NO_VALID_LABEL),
        /** The device failed to read the label. */
        IO_ERROR(ErrorCode.IO_ERROR);

        private final ErrorCode errorCode;

        Kind(ErrorCode errorCode) {
            this.errorCode = errorCode;
        }

        /** The error code the engine reports when this is the reason nothing valid was found. */
        public ErrorCode errorCode() {
            return errorCode;
        }
    }

    private final Kind kind;

    public LabelException(Kind kind, String reason) {
        super(reason);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public LabelException(Kind kind, String reason, Throwable cause) {
        super(reason, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }

    /** The reason, as shown to an operator. */
    public String reason() {
        return getMessage();
    }
}
