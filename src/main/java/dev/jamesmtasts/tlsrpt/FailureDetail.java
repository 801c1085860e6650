package dev.jamesmtasts.tlsrpt;

import java.util.Objects;

/**
 * One {@code failure-details} entry of a report without its count (RFC 8460 §4.4): what failed, where.
 * Value semantics: equal details of one policy are summed into one entry's
 * {@code failed-session-count}, so this is the aggregation key of failures.
 *
 * <p>Optional fields are null when unknown; the JSON writer omits them. Strings from the network
 * (an MX name from DNS, an additional-information text) are kept as they are here; the JSON encoding
 * escapes them, and every display of them goes through {@code mtasts.SafeText}.
 */
public final class FailureDetail {
    private final ResultType resultType;
    private final String sendingMtaIp;
    private final String receivingMxHostname;
    private final String receivingMxHelo;
    private final String receivingIp;
    private final String additionalInformation;
    private final String failureReasonCode;
    /** Computed once: this is a hash key on the delivery thread (one lookup per recorded failure). */
    private final int hash;

    public FailureDetail(ResultType resultType, String sendingMtaIp, String receivingMxHostname,
                         String receivingMxHelo, String receivingIp, String additionalInformation,
                         String failureReasonCode) {
        this.resultType = Objects.requireNonNull(resultType);
        this.sendingMtaIp = sendingMtaIp;
        this.receivingMxHostname = receivingMxHostname;
        this.receivingMxHelo = receivingMxHelo;
        this.receivingIp = receivingIp;
        this.additionalInformation = additionalInformation;
        this.failureReasonCode = failureReasonCode;
        this.hash = Objects.hash(resultType, sendingMtaIp, receivingMxHostname, receivingMxHelo, receivingIp,
                additionalInformation, failureReasonCode);
    }

    public ResultType resultType() {
        return resultType;
    }

    public String sendingMtaIp() {
        return sendingMtaIp;
    }

    public String receivingMxHostname() {
        return receivingMxHostname;
    }

    public String receivingMxHelo() {
        return receivingMxHelo;
    }

    public String receivingIp() {
        return receivingIp;
    }

    public String additionalInformation() {
        return additionalInformation;
    }

    public String failureReasonCode() {
        return failureReasonCode;
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (!(o instanceof FailureDetail)) {
            return false;
        }
        FailureDetail d = (FailureDetail) o;
        return hash == d.hash && resultType == d.resultType && Objects.equals(sendingMtaIp, d.sendingMtaIp)
                && Objects.equals(receivingMxHostname, d.receivingMxHostname)
                && Objects.equals(receivingMxHelo, d.receivingMxHelo)
                && Objects.equals(receivingIp, d.receivingIp)
                && Objects.equals(additionalInformation, d.additionalInformation)
                && Objects.equals(failureReasonCode, d.failureReasonCode);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return resultType.label() + " mx=" + receivingMxHostname + " ip=" + receivingIp;
    }
}
