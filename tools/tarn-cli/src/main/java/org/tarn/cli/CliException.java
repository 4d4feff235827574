package org.tarn.cli;

/** A failure tarnctl reports as one line on stderr, exiting with status 1. */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CliException(String message) {
        super(message);
    }

    public CliException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The operator-readable part of a remote error text: from the Tarn code on
     * ({@code "java.lang.IllegalStateException : TARN-4 ..."} becomes
     * {@code "TARN-4 ..."}), else without a leading exception class name; one line.
     */
    public static String clean(String text) {
        if (text == null || text.isBlank()) {
            return "unknown error";
        }
        String s = text.strip();
        int tarn = s.indexOf("TARN-");
        if (tarn >= 0) {
            s = s.substring(tarn);
        } else {
            s = s.replaceFirst("^([A-Za-z_$][\\w$]*\\.)+[\\w$]*(Exception|Error)\\s*:\\s*", "");
        }
        return s.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
