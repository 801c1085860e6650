package dev.jamesmtasts.tlsrpt;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One aggregate TLS report (RFC 8460 §4.4) as a value: who sends it, for which time range, and per
 * applied policy the session counts and failure details. {@code ReportJson} turns it into the JSON
 * of §4.4 and back.
 */
public final class TlsReport {

    /** One {@code policies[]} entry: a policy, its summary and its failure details. */
    public static final class PolicyResults {
        private final AppliedPolicy policy;
        private final long successfulSessions;
        private final long failedSessions;
        private final Map<FailureDetail, Long> failures;

        /**
         * @param failures failed-session-count per failure detail, in the order they are to be written
         *                 (pass an ordered map; it is copied)
         */
        public PolicyResults(AppliedPolicy policy, long successfulSessions, long failedSessions,
                             Map<FailureDetail, Long> failures) {
            this.policy = Objects.requireNonNull(policy);
            this.successfulSessions = successfulSessions;
            this.failedSessions = failedSessions;
            this.failures = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(failures));
        }

        public AppliedPolicy policy() {
            return policy;
        }

        /** {@code summary.total-successful-session-count}. */
        public long successfulSessions() {
            return successfulSessions;
        }

        /** {@code summary.total-failure-session-count}. */
        public long failedSessions() {
            return failedSessions;
        }

        /** {@code failure-details}: each detail with its {@code failed-session-count}. */
        public Map<FailureDetail, Long> failures() {
            return failures;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof PolicyResults)) {
                return false;
            }
            PolicyResults p = (PolicyResults) o;
            return policy.equals(p.policy) && successfulSessions == p.successfulSessions
                    && failedSessions == p.failedSessions && failures.equals(p.failures);
        }

        @Override
        public int hashCode() {
            return Objects.hash(policy, successfulSessions, failedSessions, failures);
        }
    }

    private final String organizationName;
    private final Instant start;
    private final Instant end;
    private final String contactInfo;
    private final String reportId;
    private final List<PolicyResults> policies;

    public TlsReport(String organizationName, Instant start, Instant end, String contactInfo, String reportId,
                     List<PolicyResults> policies) {
        this.organizationName = Objects.requireNonNull(organizationName);
        this.start = Objects.requireNonNull(start);
        this.end = Objects.requireNonNull(end);
        this.contactInfo = Objects.requireNonNull(contactInfo);
        this.reportId = Objects.requireNonNull(reportId);
        this.policies = List.copyOf(policies);
    }

    public String organizationName() {
        return organizationName;
    }

    /** {@code date-range.start-datetime}. */
    public Instant start() {
        return start;
    }

    /** {@code date-range.end-datetime}. */
    public Instant end() {
        return end;
    }

    public String contactInfo() {
        return contactInfo;
    }

    public String reportId() {
        return reportId;
    }

    public List<PolicyResults> policies() {
        return policies;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TlsReport)) {
            return false;
        }
        TlsReport r = (TlsReport) o;
        return organizationName.equals(r.organizationName) && start.equals(r.start) && end.equals(r.end)
                && contactInfo.equals(r.contactInfo) && reportId.equals(r.reportId) && policies.equals(r.policies);
    }

    @Override
    public int hashCode() {
        return Objects.hash(organizationName, start, end, contactInfo, reportId, policies);
    }
}
