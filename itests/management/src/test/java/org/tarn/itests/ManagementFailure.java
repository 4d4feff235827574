package org.tarn.itests;

/**
 * An MBean failure as a client sees it: the class name of the exception the
 * MBean threw, its message, and for Jolokia the {@code status} of the
 * response (null for JMX).
 */
public final class ManagementFailure extends RuntimeException {
    private final String exceptionType;
    private final Integer status;
    private final Integer httpStatus;

    public ManagementFailure(String exceptionType, String message, Integer status) {
        this(exceptionType, message, status, null);
    }

    public ManagementFailure(String exceptionType, String message, Integer status, Integer httpStatus) {
        super(exceptionType + ": " + message + (status == null ? "" : " (status " + status + ")"));
        this.exceptionType = exceptionType;
        this.status = status;
        this.httpStatus = httpStatus;
    }

    /** The HTTP status of the Jolokia response; null for JMX paths. */
    public Integer httpStatus() {
        return httpStatus;
    }

    /** The class name of the exception, e.g. {@code java.lang.IllegalArgumentException}. */
    public String exceptionType() {
        return exceptionType;
    }

    /** The Jolokia response status (JSON {@code status}); null for JMX paths. */
    public Integer status() {
        return status;
    }
}
