package dev.jamesmtasts.reporting;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * Where the reports of a policy domain go: the {@code rua} URIs of its {@code _smtp._tls} TXT record
 * (RFC 8460 §3). The James side adapts the record lookup ({@code TlsRptRecord}) to this.
 */
public interface ReportDestinations {

    /** Looks up the rua URIs of {@code policyDomain}; must be bounded in time and must not throw. */
    Lookup lookup(String policyDomain);

    /** The answer of a lookup. */
    final class Lookup {
        /** What the lookup found. */
        public enum Kind {
            /** A valid record: send to its rua URIs. */
            FOUND,
            /** No (valid) record: the domain asks for no reports (several records count as none, RFC 8460 §3). */
            NONE,
            /** DNS failed temporarily: try again later. */
            TEMPORARY
        }

        private final Kind kind;
        private final List<URI> rua;
        private final String reason;

        private Lookup(Kind kind, List<URI> rua, String reason) {
            this.kind = kind;
            this.rua = rua;
            this.reason = reason;
        }

        public static Lookup found(List<URI> rua) {
            if (rua.isEmpty()) {
                throw new IllegalArgumentException("a TLS-RPT record has at least one rua");
            }
            return new Lookup(Kind.FOUND, List.copyOf(rua), null);
        }

        public static Lookup none(String reason) {
            return new Lookup(Kind.NONE, List.of(), reason);
        }

        /** @param reason safe text (made safe by the caller with {@code SafeText}) */
        public static Lookup temporary(String reason) {
            return new Lookup(Kind.TEMPORARY, List.of(), Objects.requireNonNull(reason));
        }

        public Kind kind() { return kind; }

        public List<URI> rua() { return rua; }

        /** Why NONE or TEMPORARY (safe text); null for FOUND. */
        public String reason() { return reason; }
    }
}
