package dev.jamesmtasts.james;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DANE (RFC 7672) on this node as an administrator reads it ({@link DaneService#status()}): the delivery
 * mailets' {@code dane} parameter, whether DANE is used and active, the last DNSSEC self-check (outcome,
 * reason, when) and whether validation ever worked in this JVM. Shown as the {@code dane} object of
 * WebAdmin {@code GET /mta-sts/health} ({@link #toMap()}), the MBean attribute {@code DaneStatus}
 * ({@link #toStrings()}), and judged by {@link DaneHealthCheck}. Immutable; every text in it is safe to
 * show (the self-check's reason went through {@link dev.jamesmtasts.mtasts.SafeText}).
 */
public final class DaneStatus {
    /** {@link #mode()} before any MtaStsRemoteDelivery mailet started on this node. */
    public static final String NO_MAILET = "no delivery mailet";

    /** The outcome of the last self-check. */
    public enum Check {
        /** No self-check ran (DANE not used, or not yet). */
        NOT_RUN("not-run"),
        /** The trust anchor zone's DNSKEY RRset validated: DNSSEC validation works. */
        OK("ok"),
        /** Bogus or insecure: the resolvers strip DNSSEC records, or the trust anchors are wrong. */
        FAILED("failed"),
        /** No answer in time (the check is retried every {@value DaneService#RETRY_SECONDS} s). */
        NO_ANSWER("no-answer");

        private final String text;

        Check(String text) {
            this.text = text;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private final String mode;
    private final boolean used;
    private final boolean active;
    private final boolean everWorked;
    private final Check lastCheck;
    private final String lastReason;
    private final Instant lastCheckAt;
    private final String state;
    private final String resolvers;

    DaneStatus(String mode, boolean used, boolean active, boolean everWorked, Check lastCheck, String lastReason,
               Instant lastCheckAt, String state, String resolvers) {
        this.mode = mode;
        this.used = used;
        this.active = active;
        this.everWorked = everWorked;
        this.lastCheck = lastCheck;
        this.lastReason = lastReason;
        this.lastCheckAt = lastCheckAt;
        this.state = state;
        this.resolvers = resolvers;
    }

    /**
     * The {@code dane} parameter of the delivery mailets started on this node: {@code follow}, {@code off},
     * both comma-separated when they differ, {@value #NO_MAILET} before any started.
     */
    public String mode() {
        return mode;
    }

    /** Whether a delivery mailet uses DANE here ({@code dane=follow}, or an override turning it on): the self-check runs. */
    public boolean used() {
        return used;
    }

    public boolean active() {
        return active;
    }

    /** Whether a self-check ever passed in this JVM (then a failing one does not turn DANE off). */
    public boolean everWorked() {
        return everWorked;
    }

    public Check lastCheck() {
        return lastCheck;
    }

    /** The last self-check's reason (the validator's words, escaped); empty before the first. */
    public String lastReason() {
        return lastReason;
    }

    /** When the last self-check ran; null before the first. */
    public Instant lastCheckAt() {
        return lastCheckAt;
    }

    /** {@link DaneService#state()}: the whole state in words. */
    public String state() {
        return state;
    }

    /** The resolvers the self-check asks, in words. */
    public String resolvers() {
        return resolvers;
    }

    /** The JSON object of {@code GET /mta-sts/health} (key order fixed). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode);
        m.put("used", used);
        m.put("active", active);
        m.put("selfCheck", lastCheck.toString());
        m.put("selfCheckReason", lastReason);
        m.put("selfCheckAt", lastCheckAt == null ? null : lastCheckAt.toString());
        m.put("everWorked", everWorked);
        m.put("resolvers", resolvers);
        m.put("state", state);
        return m;
    }

    /** {@link #toMap()} with string values, for JMX (JDK types only). */
    public Map<String, String> toStrings() {
        Map<String, String> m = new LinkedHashMap<>();
        toMap().forEach((k, v) -> m.put(k, v == null ? "" : String.valueOf(v)));
        return m;
    }

    @Override
    public String toString() {
        return toMap().toString();
    }
}
