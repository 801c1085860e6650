package dev.jamesmtasts.james;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import dev.jamesmtasts.dane.DaneDomain;
import dev.jamesmtasts.dane.DaneHost;
import dev.jamesmtasts.dane.TlsaVerification;
import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * What one delivery attempt of one mail to one recipient domain did, MX by MX, with the MTA-STS
 * verdict: the single structured record handed to every {@link DeliveryAttemptListener} (TLS-RPT
 * aggregation, RFC 8460, consumes it) and logged as one INFO line by the mailet.
 *
 * <p>Immutable. {@link #toLogLine()} is the log form.
 */
public final class DeliveryAttemptReport {

    /** The MTA-STS verdict of one attempt; the lower-case names with '-' are the metric labels. */
    public enum Verdict {
        /** enforce policy, delivered to a matching MX over validated TLS. */
        ENFORCED_DELIVERED("enforced-delivered"),
        /** enforce policy, no MX satisfied it (or the MX that did refused temporarily): deferred. */
        ENFORCED_DEFERRED("enforced-deferred"),
        /** enforce policy, the MX that satisfied it refused the mail permanently. */
        ENFORCED_FAILED("enforced-failed"),
        /** testing policy, nothing would have failed under enforce. */
        TESTING_OK("testing-ok"),
        /** testing policy (or report mode), at least one MX used would have failed under enforce. */
        TESTING_WOULD_FAIL("testing-would-fail"),
        /** no policy, mode none, an off override, or the global switch is off. */
        NO_POLICY("no-policy"),
        /** the policy lookup failed with nothing cached (RFC 8461 §5.1 has nothing to apply). */
        LOOKUP_ERROR("lookup-error"),
        /** a gateway/smarthost delivery: not an MX delivery, MTA-STS does not apply (§6 checklist). */
        GATEWAY("gateway");

        private final String label;

        Verdict(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * Where the applied policy came from (not to be confused with {@code mtasts.PolicySource}, which
     * fetches published policies).
     */
    public enum PolicyOrigin { PUBLISHED, LOCAL_OVERRIDE, NONE }

    /**
     * What the lookup of the recipient domain's published policy (RFC 8461 §3) came to: the policy the
     * attempt's sessions are counted under in TLS-RPT (RFC 8460 §4.4 policy-type), see {@link TlsRptResults}.
     */
    public enum PublishedPolicy {
        /** Not looked up: gateway delivery, {@code mtaStsMode=off}, an {@code off} or local-policy override. */
        NOT_CONSULTED,
        /** A published enforce or testing policy, applied as published or as testing: {@link #policyText()} holds it. */
        APPLIED,
        /** The domain publishes none: no (usable) {@code _mta-sts} record, or a policy of mode none (RFC 8461 §5). */
        NONE,
        /**
         * A record, but the policy could not be fetched or parsed (RFC 8461 §3.3: delivered as without a
         * policy, the fetch retried after a backoff); {@link #fetchFailure()} says how, when known.
         */
        FETCH_FAILED,
        /** Nothing known: a temporary DNS error with nothing cached, a store outage, a local bound. */
        UNKNOWN
    }

    /**
     * What DANE (RFC 7672) did for the attempt as a whole; the lower-case names with '-' are the metric
     * labels ({@code mtaSts.dane.<label>}).
     */
    public enum DaneVerdict {
        /** DANE not used: {@code dane=off}, an off override, a gateway, or DNSSEC validation unavailable. */
        OFF("off"),
        /** DANE used, but no host tried had secure TLSA records (or the domain's MX RRset is not signed). */
        NOT_APPLICABLE("not-applicable"),
        /** Delivered to an MX host authenticated by its usable TLSA records. */
        AUTHENTICATED("authenticated"),
        /** Delivered over TLS to an MX host whose secure TLSA records are all unusable (RFC 7672 §3.1.3). */
        TLS_ONLY("tls-only"),
        /**
         * Deferred for DANE: the MX lookup was bogus or unanswered, or a host with TLSA records failed
         * (mismatch, no STARTTLS, bogus or unanswered TLSA lookup), or DANE is required and missing.
         */
        DEFERRED("deferred"),
        /** A host under DANE refused the mail permanently (after TLS). */
        FAILED("failed");

        private final String label;

        DaneVerdict(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * The DANE part of one MX host's result: what {@link dev.jamesmtasts.dane.DanePolicy} decided for the
     * host and, when the session was authenticated by TLSA records, what the check found. Null in
     * {@link MxResult#dane()} when DANE did not apply to the host.
     */
    public static final class DaneMx {
        private final DaneHost.Status status;
        private final DaneHost.Failure failure;
        private final String tlsaBase;
        private final List<String> policyStrings;
        private final TlsaVerification.Outcome verification;
        private final String detail;

        public DaneMx(DaneHost.Status status, DaneHost.Failure failure, String tlsaBase, List<String> policyStrings,
                      TlsaVerification.Outcome verification, String detail) {
            this.status = Objects.requireNonNull(status);
            this.failure = failure;
            this.tlsaBase = tlsaBase;
            this.policyStrings = List.copyOf(policyStrings);
            this.verification = verification;
            this.detail = detail;
        }

        /** The host's decision and, when a check ran, its outcome (null: no handshake got that far). */
        static DaneMx of(DaneHost host, TlsaVerification.Outcome verification) {
            return new DaneMx(host.status(), host.failure(), host.tlsaBase(), host.policyStrings(), verification,
                    host.detail());
        }

        /** USABLE, UNUSABLE or FAILED (NOT_APPLICABLE hosts carry no DaneMx). */
        public DaneHost.Status status() {
            return status;
        }

        /** Why a FAILED host was not used; null otherwise. */
        public DaneHost.Failure failure() {
            return failure;
        }

        /** The TLSA base domain (RFC 8460 policy-domain of a {@code tlsa} policy), or null. */
        public String tlsaBase() {
            return tlsaBase;
        }

        /** The TLSA records in presentation form (RFC 8460 policy-string), empty for FAILED hosts. */
        public List<String> policyStrings() {
            return policyStrings;
        }

        /** What the TLSA check found (USABLE hosts whose handshake completed), or null. */
        public TlsaVerification.Outcome verification() {
            return verification;
        }

        public String detail() {
            return detail;
        }

        @Override
        public String toString() {
            return status.name().toLowerCase(java.util.Locale.ROOT)
                    + (failure == null ? "" : "(" + failure.name().toLowerCase(java.util.Locale.ROOT) + ")")
                    + (verification == null ? "" : " " + verification.name().toLowerCase(java.util.Locale.ROOT));
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof DaneMx)) {
                return false;
            }
            DaneMx d = (DaneMx) o;
            return status == d.status && failure == d.failure && Objects.equals(tlsaBase, d.tlsaBase)
                    && policyStrings.equals(d.policyStrings) && verification == d.verification;
        }

        @Override
        public int hashCode() {
            return Objects.hash(status, failure, tlsaBase, verification);
        }
    }

    /** What the attempt as a whole came to (James's ExecutionResult state, in words). */
    public enum DeliveryOutcome { DELIVERED, TEMPORARY_FAILURE, PERMANENT_FAILURE }

    /** Whether the MX offered STARTTLS; UNKNOWN when the session did not try it. */
    public enum Starttls { OFFERED, NOT_OFFERED, UNKNOWN }

    /**
     * The certificate verdict of one MX, named after the RFC 8460 §4.3 result types where one fits.
     */
    public enum CertificateVerdict {
        /** No TLS handshake took place. */
        NOT_CHECKED,
        /** PKIX-valid chain, valid for the MX host name, TLS >= 1.2. */
        VALID,
        /** certificate-expired (or not yet valid). */
        EXPIRED,
        /** certificate-host-mismatch: no SAN matches the MX host name. */
        HOST_MISMATCH,
        /** certificate-not-trusted: the chain does not lead to a trusted CA. */
        UNTRUSTED,
        /** TLS below 1.2 negotiated. */
        PROTOCOL_TOO_OLD,
        /**
         * DANE (RFC 7672 §3): the chain matches none of the host's usable TLSA records (or the chain from a
         * matching DANE-TA does not validate, or the certificate names neither the MX host nor the TLSA base).
         */
        DANE_MISMATCH,
        /** validation-failure: any other handshake failure. */
        HANDSHAKE_FAILED
    }

    /** One MX host's part of the attempt. */
    public static final class MxResult {
        private final String host;
        private final boolean matched;
        private final Starttls starttls;
        private final CertificateVerdict certificate;
        private final String tlsProtocol;
        private final boolean delivered;
        private final String error;
        private final String receivingIp;
        private final String sendingIp;
        private final DaneMx dane;

        public MxResult(String host, boolean matched, Starttls starttls, CertificateVerdict certificate,
                        String tlsProtocol, boolean delivered, String error) {
            this(host, matched, starttls, certificate, tlsProtocol, delivered, error, null, null);
        }

        public MxResult(String host, boolean matched, Starttls starttls, CertificateVerdict certificate,
                        String tlsProtocol, boolean delivered, String error, String receivingIp, String sendingIp) {
            this(host, matched, starttls, certificate, tlsProtocol, delivered, error, receivingIp, sendingIp, null);
        }

        /**
         * @param receivingIp the address the session connected to, or null (no connection)
         * @param sendingIp   the local address of that connection, or null
         * @param dane        what DANE asked of this host, or null when it did not apply
         */
        public MxResult(String host, boolean matched, Starttls starttls, CertificateVerdict certificate,
                        String tlsProtocol, boolean delivered, String error, String receivingIp, String sendingIp,
                        DaneMx dane) {
            this.dane = dane;
            this.receivingIp = receivingIp;
            this.sendingIp = sendingIp;
            this.host = Objects.requireNonNull(host);
            this.matched = matched;
            this.starttls = Objects.requireNonNull(starttls);
            this.certificate = Objects.requireNonNull(certificate);
            this.tlsProtocol = tlsProtocol;
            this.delivered = delivered;
            this.error = error;
        }

        /** The MX host name (as published in DNS, without trailing dot), or gateway host. */
        public String host() {
            return host;
        }

        /** True when the host matches an mx pattern of the policy (false when there is no policy). */
        public boolean matched() {
            return matched;
        }

        public Starttls starttls() {
            return starttls;
        }

        public CertificateVerdict certificate() {
            return certificate;
        }

        /** The negotiated TLS protocol, or null. */
        public String tlsProtocol() {
            return tlsProtocol;
        }

        public boolean delivered() {
            return delivered;
        }

        /** Why this host failed or was skipped, in words; null when it did not. */
        public String error() {
            return error;
        }

        /** The IP address the session connected to (RFC 8460 {@code receiving-ip}), or null when none was made. */
        public String receivingIp() {
            return receivingIp;
        }

        /** The local IP address of the session (RFC 8460 {@code sending-mta-ip}), or null when not known. */
        public String sendingIp() {
            return sendingIp;
        }

        /** What DANE asked of this host (RFC 7672), or null when DANE did not apply to it. */
        public DaneMx dane() {
            return dane;
        }

        /**
         * True when this MX would fail an enforce policy (RFC 8461 §4.1, §4.2). A host authenticated by its
         * usable TLSA records does not: DANE takes precedence for it (RFC 8461 §2).
         */
        public boolean failsEnforce() {
            if (dane != null && dane.verification() == TlsaVerification.Outcome.MATCHED
                    && certificate == CertificateVerdict.VALID) {
                return false;
            }
            return !matched || starttls == Starttls.NOT_OFFERED || certificate != CertificateVerdict.VALID;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(host).append('{')
                    .append(matched ? "matched" : "unmatched")
                    .append(", starttls=").append(starttls.name().toLowerCase(java.util.Locale.ROOT))
                    .append(", cert=").append(certificate.name().toLowerCase(java.util.Locale.ROOT));
            if (tlsProtocol != null) {
                sb.append(", ").append(tlsProtocol);
            }
            sb.append(delivered ? ", delivered" : "");
            if (dane != null) {
                sb.append(", dane=").append(dane);
            }
            if (error != null) {
                sb.append(", error=").append(error);
            }
            return sb.append('}').toString();
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof MxResult)) {
                return false;
            }
            MxResult m = (MxResult) o;
            return host.equals(m.host) && matched == m.matched && starttls == m.starttls
                    && certificate == m.certificate && Objects.equals(tlsProtocol, m.tlsProtocol)
                    && delivered == m.delivered && Objects.equals(error, m.error)
                    && Objects.equals(receivingIp, m.receivingIp) && Objects.equals(sendingIp, m.sendingIp)
                    && Objects.equals(dane, m.dane);
        }

        @Override
        public int hashCode() {
            return Objects.hash(host, matched, starttls, certificate, delivered);
        }
    }

    private final Instant time;
    private final String mailName;
    private final String domain;
    private final int attempt;
    private final Verdict verdict;
    private final PolicyOrigin policyOrigin;
    private final String policyMode;
    private final String policyId;
    private final String policyText;
    private final String reason;
    private final DeliveryOutcome outcome;
    private final List<MxResult> mx;
    private final List<String> policyMx;
    private final PublishedPolicy published;
    private final FetchFailure fetchFailure;
    private final boolean tlsReport;
    private final DaneVerdict daneVerdict;
    private final DaneDomain.Status daneStatus;
    private final boolean daneRequired;
    private final String daneDetail;

    public DeliveryAttemptReport(Instant time, String mailName, String domain, int attempt, Verdict verdict,
                                 PolicyOrigin policyOrigin, String policyMode, String policyId, String policyText,
                                 String reason, DeliveryOutcome outcome, List<MxResult> mx) {
        this(time, mailName, domain, attempt, verdict, policyOrigin, policyMode, policyId, policyText, reason, outcome,
                mx, List.of(), PublishedPolicy.NOT_CONSULTED, null, false);
    }

    /**
     * @param policyMx     the {@code mx} patterns of the applied policy (empty without one)
     * @param published    what the published policy's lookup came to
     * @param fetchFailure how the policy fetch behind it failed, or null
     * @param tlsReport    the mail is a TLS-RPT report ({@link dev.jamesmtasts.tlsrpt.ReportMail})
     */
    public DeliveryAttemptReport(Instant time, String mailName, String domain, int attempt, Verdict verdict,
                                 PolicyOrigin policyOrigin, String policyMode, String policyId, String policyText,
                                 String reason, DeliveryOutcome outcome, List<MxResult> mx, List<String> policyMx,
                                 PublishedPolicy published, FetchFailure fetchFailure, boolean tlsReport) {
        this(time, mailName, domain, attempt, verdict, policyOrigin, policyMode, policyId, policyText, reason, outcome,
                mx, policyMx, published, fetchFailure, tlsReport, DaneVerdict.OFF, DaneDomain.Status.OFF, false, null);
    }

    /**
     * @param daneVerdict  what DANE did for the attempt
     * @param daneStatus   what DANE said of the domain (its MX lookup)
     * @param daneRequired DANE required for the domain by a {@code daneOverrides} entry
     * @param daneDetail   the DANE decision for the domain, in words (escaped), or null
     */
    public DeliveryAttemptReport(Instant time, String mailName, String domain, int attempt, Verdict verdict,
                                 PolicyOrigin policyOrigin, String policyMode, String policyId, String policyText,
                                 String reason, DeliveryOutcome outcome, List<MxResult> mx, List<String> policyMx,
                                 PublishedPolicy published, FetchFailure fetchFailure, boolean tlsReport,
                                 DaneVerdict daneVerdict, DaneDomain.Status daneStatus, boolean daneRequired,
                                 String daneDetail) {
        this.daneVerdict = Objects.requireNonNull(daneVerdict);
        this.daneStatus = Objects.requireNonNull(daneStatus);
        this.daneRequired = daneRequired;
        this.daneDetail = daneDetail;
        this.tlsReport = tlsReport;
        this.policyMx = List.copyOf(policyMx);
        this.published = Objects.requireNonNull(published);
        this.fetchFailure = fetchFailure;
        this.time = Objects.requireNonNull(time);
        this.mailName = mailName;
        this.domain = Objects.requireNonNull(domain);
        this.attempt = attempt;
        this.verdict = Objects.requireNonNull(verdict);
        this.policyOrigin = Objects.requireNonNull(policyOrigin);
        this.policyMode = policyMode;
        this.policyId = policyId;
        this.policyText = policyText;
        this.reason = reason;
        this.outcome = Objects.requireNonNull(outcome);
        this.mx = List.copyOf(mx);
    }

    public Instant time() {
        return time;
    }

    public String mailName() {
        return mailName;
    }

    /** The recipient (policy) domain. */
    public String domain() {
        return domain;
    }

    /** 1 for the first attempt, then one more per retry. */
    public int attempt() {
        return attempt;
    }

    public Verdict verdict() {
        return verdict;
    }

    public PolicyOrigin policyOrigin() {
        return policyOrigin;
    }

    /** The mode applied: enforce, testing, none, or null when no policy applied. */
    public String policyMode() {
        return policyMode;
    }

    /** The TXT record id of the published policy, or null. */
    public String policyId() {
        return policyId;
    }

    /** The policy text as served (for TLS-RPT {@code policy-string}), or null. */
    public String policyText() {
        return policyText;
    }

    /** Why this verdict, in words. */
    public String reason() {
        return reason;
    }

    public DeliveryOutcome outcome() {
        return outcome;
    }

    /** The MX hosts considered, in the order they were tried. */
    public List<MxResult> mx() {
        return mx;
    }

    /** The {@code mx} patterns of the applied policy as written ({@code *.example.net}), empty without one. */
    public List<String> policyMx() {
        return policyMx;
    }

    /** What the lookup of the domain's published policy came to. */
    public PublishedPolicy published() {
        return published;
    }

    /**
     * How the HTTPS fetch of the domain's policy failed (RFC 8461 §3.3), or null: set when the policy
     * could not be fetched ({@link PublishedPolicy#FETCH_FAILED}) or when a re-fetch failed and the
     * cached policy was applied.
     */
    public FetchFailure fetchFailure() {
        return fetchFailure;
    }

    /**
     * True when the mail delivered is itself a TLS-RPT report (RFC 8460 §5.3): its sessions are never
     * recorded for TLS-RPT (no report loops).
     */
    public boolean tlsReport() {
        return tlsReport;
    }

    /** What DANE (RFC 7672) did for this attempt. */
    public DaneVerdict daneVerdict() {
        return daneVerdict;
    }

    /** What DANE said of the recipient domain: its MX RRset secure, insecure, bogus, unanswered, or DANE off. */
    public DaneDomain.Status daneStatus() {
        return daneStatus;
    }

    /** True when a {@code daneOverrides} entry requires DANE for the domain. */
    public boolean daneRequired() {
        return daneRequired;
    }

    /** The DANE decision for the domain, in words (escaped), or null. */
    public String daneDetail() {
        return daneDetail;
    }

    /** One line, for the INFO log. */
    public String toLogLine() {
        StringBuilder sb = new StringBuilder(128)
                .append("MTA-STS ").append(verdict.label())
                .append(" domain=").append(domain)
                .append(" mail=").append(mailName)
                .append(" attempt=").append(attempt)
                .append(" policy=").append(policyMode == null ? "-" : policyMode)
                .append('(').append(policyOrigin.name().toLowerCase(java.util.Locale.ROOT))
                .append(policyId == null ? "" : " id=" + policyId).append(')')
                .append(" dane=").append(daneVerdict.label())
                .append(" outcome=").append(outcome.name().toLowerCase(java.util.Locale.ROOT))
                .append(" reason=\"").append(reason).append('"')
                // At most a few MX hosts: one domain's MX set cannot make each attempt log kilobytes.
                .append(" mx=[").append(SafeText.list(mx, AttemptContext.SUMMARY_HOSTS)).append(']');
        return sb.toString();
    }

    @Override
    public String toString() {
        return toLogLine();
    }
}
