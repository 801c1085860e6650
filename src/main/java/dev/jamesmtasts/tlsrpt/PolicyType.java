package dev.jamesmtasts.tlsrpt;

import java.util.Optional;

/** A report's {@code policy-type} (RFC 8460 §4.4): which policy the counted sessions were under. */
public enum PolicyType {
    /** An MTA-STS policy (RFC 8461). */
    STS("sts"),
    /** DANE TLSA records (RFC 7672). */
    TLSA("tlsa"),
    /** Neither: the sessions were under no policy. */
    NO_POLICY_FOUND("no-policy-found");

    private final String label;

    PolicyType(String label) {
        this.label = label;
    }

    /** The RFC 8460 name. */
    public String label() {
        return label;
    }

    /** The type with RFC 8460 name {@code label}, or empty. */
    public static Optional<PolicyType> fromLabel(String label) {
        for (PolicyType t : values()) {
            if (t.label.equals(label)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
