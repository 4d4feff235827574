package org.tarn.target;

import java.util.Locale;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;

/** What a target serves, as in Lustre. The code is stored on disk and never changes. */
public enum TargetRole {
    /** A metadata target: the namespace. */
    MDT(1),
    /** An object storage target: file data. */
    OST(2);

    private final int code;

    TargetRole(int code) {
        this.code = code;
    }

    /** The stable on-disk code of this role. */
    public int code() {
        return code;
    }

    /** The role with that on-disk code. */
    public static TargetRole ofCode(int code) {
        for (TargetRole r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw new TarnException(ErrorCode.UNSUPPORTED_VERSION, "unknown target role code " + code);
    }

    /** Parses {@code MDT} or {@code OST}, in any case. */
    public static TargetRole parse(String text) {
        if (text != null) {
            for (TargetRole r : values()) {
                if (r.name().equals(text.trim().toUpperCase(Locale.ROOT))) {
                    return r;
                }
            }
        }
        throw new TarnException(ErrorCode.INVALID_ARGUMENT, "unknown target role '" + text + "'; use MDT or OST");
    }
}
