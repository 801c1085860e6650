package dev.jamesmtasts.reporting;

import java.net.URI;
import java.util.Objects;

import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * Sends one report to one rua URI (RFC 8460 §5: {@code https:} POST or {@code mailto:} message). The
 * James side adapts its HTTPS and mail transports to this. Implementations are bounded in time and size
 * and must not throw (a throw is counted as a failure all the same).
 */
public interface ReportDelivery {

    Result deliver(URI rua, TlsReport report);

    /** The outcome of one delivery. */
    final class Result {
        private static final Result DELIVERED = new Result(true, null);

        private final boolean delivered;
        private final String reason;

        private Result(boolean delivered, String reason) {
            this.delivered = delivered;
            this.reason = reason;
        }

        /** The rua accepted the report (HTTP 2xx; the message was queued by James's pipeline). */
        public static Result delivered() {
            return DELIVERED;
        }

        /** The rua did not take it. @param reason safe text (made safe with {@code SafeText}) */
        public static Result failed(String reason) {
            return new Result(false, Objects.requireNonNull(reason));
        }

        public boolean isDelivered() { return delivered; }

        /** Why it failed; null when delivered. */
        public String reason() { return reason; }

        @Override
        public String toString() {
            return delivered ? "delivered" : "failed: " + reason;
        }
    }
}
