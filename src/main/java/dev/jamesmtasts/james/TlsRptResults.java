package dev.jamesmtasts.james;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.jamesmtasts.dane.DaneDomain;
import dev.jamesmtasts.dane.DaneHost;
import dev.jamesmtasts.dane.TlsaVerification;
import dev.jamesmtasts.james.DeliveryAttemptReport.CertificateVerdict;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.Starttls;
import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.tlsrpt.AppliedPolicies;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.SessionResult;

/**
 * The one mapping from what a delivery attempt did ({@link DeliveryAttemptReport}) to TLS-RPT session
 * results (RFC 8460 §4.3, §4.4). Pure; each rule below is one test of {@code TlsRptResultsTest}.
 *
 * <p><b>Under which policy</b> (RFC 8460 §4.4 {@code policy}, from {@link DeliveryAttemptReport#published()}):
 * <ul>
 *   <li>a published enforce or testing policy: {@code sts} with the policy text as fetched and its mx
 *       patterns. Testing counts like enforce (RFC 8461 §5: testing is there to get these reports),
 *       and so do {@code mtaStsMode=report} and a {@code domain=testing} override, which apply the
 *       published policy as testing;</li>
 *   <li>no policy published (no usable {@code _mta-sts} record, or mode {@code none}, RFC 8461 §5):
 *       {@code no-policy-found};</li>
 *   <li>a record whose policy could not be fetched (RFC 8461 §3.3, delivered as without a policy):
 *       {@code sts} without policy-string or mx-host, every counted session a failure of the fetch's
 *       type (see below);</li>
 *   <li>nothing at all for: a gateway delivery (a smarthost is no MX: RFC 8461 §4 and RFC 8460 report
 *       on MX sessions only); {@code mtaStsMode=off} and {@code off} or local-policy overrides (the
 *       published policy was not looked at, so neither its results nor "no policy found" would be true);
 *       a lookup that answered nothing (temporary DNS error with nothing cached, store outage, this
 *       node's own bounds: as likely our own fault as the domain's, mox does not report its internal
 *       errors either); and the delivery of a TLS-RPT report itself ({@link TlsRptListener}).</li>
 * </ul>
 *
 * <p><b>Which sessions count</b>: each MX host tried counts once, and only when a TLS negotiation was
 * attempted or the policy rejected the host (RFC 8460 §4.3: results are about STARTTLS negotiation and
 * policy validation). A connection that failed before STARTTLS could be offered (refused, time-out,
 * greeting: RFC 8460 §4.3.4, transient failures need not be reported) and a session where STARTTLS was not tried ({@code startTLS=false}) or not observed (the
 * administrator's own TLS socket factory) are not counted: nothing about TLS is known of them.
 *
 * <p><b>Success</b> (RFC 8460 §4.2.1 total-successful-session-count, "successfully negotiated
 * TLS-enabled connections", policy-compliant): STARTTLS offered, the handshake done, and the
 * certificate valid as RFC 8461 §4.2 asks (PKIX, the MX host name, TLS 1.2 or newer), and under an
 * {@code sts} policy the MX listed in it. What happened after TLS (the mail delivered, refused, or the
 * connection lost) does not matter. Sessions under {@code no-policy-found} are judged by the same
 * certificate rules: the report is the domain's only way to learn that its MX would fail a policy it
 * has not published yet.
 *
 * <p><b>Failures</b>, one result type per session, checked in RFC 8461 order (§4.1 MX, then §4.2 TLS):
 * <table>
 *   <caption>Rule to result type</caption>
 *   <tr><th>what the session did</th><th>result-type</th><th>failure-reason-code</th></tr>
 *   <tr><td>MX not listed in the sts policy (enforce: skipped; testing: delivered)</td>
 *       <td>validation-failure (RFC 8460 §4.3.3: no type of its own; as mox)</td>
 *       <td>{@value #MX_MISMATCH}</td></tr>
 *   <tr><td>STARTTLS not offered</td><td>starttls-not-supported</td><td>none</td></tr>
 *   <tr><td>certificate expired or not yet valid</td><td>certificate-expired</td><td>the error</td></tr>
 *   <tr><td>certificate not valid for the MX name</td><td>certificate-host-mismatch</td><td>the error</td></tr>
 *   <tr><td>chain not to a trusted root</td><td>certificate-not-trusted</td><td>the error</td></tr>
 *   <tr><td>TLS older than 1.2, any other handshake failure</td><td>validation-failure</td><td>the error</td></tr>
 *   <tr><td>the policy fetch failed: TLS</td><td>sts-webpki-invalid</td><td>{@code policy-fetch-tls}</td></tr>
 *   <tr><td>the policy fetch failed: syntax</td><td>sts-policy-invalid</td><td>{@code policy-fetch-syntax}</td></tr>
 *   <tr><td>the policy fetch failed: anything else</td><td>sts-policy-fetch-error</td><td>{@code policy-fetch-<kind>}</td></tr>
 * </table>
 * The fetch-failure types ({@link ResultType#ofPolicyFetch}) replace the per-session type: each MX
 * session of the attempt counts as one such failure (it went out without the policy's protection);
 * an attempt that reached no MX counts one, without an MX.
 *
 * <p><b>DANE</b> (RFC 7672; RFC 8461 §2: DANE takes precedence for MX hosts with usable TLSA records): a
 * host whose secure TLSA records governed its session ({@link MxResult#dane()}) counts under a
 * {@code tlsa} policy instead of the above, policy-domain = its TLSA base domain (RFC 8460 §3: the Policy
 * Domain of DANE), policy-string = its TLSA records ({@code 3 1 1 ...}), whatever MTA-STS says of the
 * domain (also with {@code mtaStsMode=off}):
 * <table>
 *   <caption>DANE rule to result type</caption>
 *   <tr><th>what happened</th><th>result-type</th><th>failure-reason-code</th></tr>
 *   <tr><td>the MX RRset is bogus (attempt deferred, no host tried; policy-domain = the recipient domain)</td>
 *       <td>dnssec-invalid</td><td>{@value #DNSSEC_INVALID_MX}</td></tr>
 *   <tr><td>DANE required ({@code daneOverrides d=require}), the MX RRset not signed</td><td>dane-required</td>
 *       <td>{@value #DANE_REQUIRED_DOMAIN}</td></tr>
 *   <tr><td>the host's address or TLSA records are bogus</td><td>dnssec-invalid</td>
 *       <td>{@value #DNSSEC_INVALID_ADDRESS}, {@value #DNSSEC_INVALID_TLSA}</td></tr>
 *   <tr><td>DANE required, the host has no usable TLSA records</td><td>dane-required</td>
 *       <td>{@value #DANE_REQUIRED_HOST}</td></tr>
 *   <tr><td>STARTTLS not offered by a host with TLSA records</td><td>starttls-not-supported</td><td>none</td></tr>
 *   <tr><td>TLSA records, none usable (TLS required, not authenticated)</td><td>tlsa-invalid</td>
 *       <td>{@value #NO_USABLE_TLSA}</td></tr>
 *   <tr><td>the chain matches no usable record (or the chain from a DANE-TA does not validate)</td>
 *       <td>tlsa-invalid</td><td>the check's reason</td></tr>
 *   <tr><td>DANE-TA matched, the certificate names neither the MX nor the TLSA base</td>
 *       <td>certificate-host-mismatch</td><td>the check's reason</td></tr>
 *   <tr><td>a usable record matched the chain</td><td>success</td><td></td></tr>
 * </table>
 * Not counted: lookups that got no answer (ours or the network's fault, RFC 8460 §4.3.4 transient), a host
 * James resolved that the validated DNS does not list (our resolvers disagree), required DANE while this
 * node's validation is not available.
 *
 * <p>A re-fetch that failed while a cached policy was still valid is not counted: that policy applied
 * (RFC 8461 §5.1) and the sessions are counted under it as usual; the report carries the failure for
 * the log ({@link DeliveryAttemptReport#fetchFailure()}).
 *
 * <p>Fields: receiving-mx-hostname is the MX host, receiving-ip the address the session connected to,
 * sending-mta-ip its local address (when known). The error text goes into failure-reason-code
 * (RFC 8460 §4.4: "a text field to include a TLS-related error code or error message"), escaped by
 * {@link SafeText} and capped at {@value #REASON_CODE_MAX} characters; additional-information is left
 * out, RFC 8460 §4.4 defines it as a URI pointing to more information, which this server does not serve.
 * failure-reason-code is part of the aggregation key, so it holds stable texts only (no time, no port).
 */
public final class TlsRptResults {
    /** The failure-reason-code of an MX that is not listed in the policy (as mox names it). */
    static final String MX_MISMATCH = "mtasts-policy-mx-mismatch";
    /** The failure-reason-code of a session with secure TLSA records, none usable (RFC 7672 §3.1). */
    static final String NO_USABLE_TLSA = "dane-no-usable-tlsa-records";
    /** The failure-reason-codes of bogus MX, address and TLSA records (the validator's own text holds dates). */
    static final String DNSSEC_INVALID_MX = "dnssec-invalid-mx";
    static final String DNSSEC_INVALID_ADDRESS = "dnssec-invalid-address";
    static final String DNSSEC_INVALID_TLSA = "dnssec-invalid-tlsa";
    /** The failure-reason-code of an MX host without usable TLSA records for a domain DANE is required for. */
    static final String DANE_REQUIRED_HOST = "dane-required-no-usable-tlsa";
    /** The failure-reason-code of a domain DANE is required for whose MX RRset is not secure. */
    static final String DANE_REQUIRED_DOMAIN = "dane-required-mx-not-secure";
    /** Cap of a failure-reason-code. */
    static final int REASON_CODE_MAX = 200;

    private TlsRptResults() {
    }

    /** The session results of {@code report}, in the order the MX hosts were tried; empty when none count. */
    public static List<SessionResult> of(DeliveryAttemptReport report) {
        return of(report, new AppliedPolicies(1));
    }

    /**
     * As {@link #of(DeliveryAttemptReport)}, taking the applied policy from {@code policies} (the
     * delivery thread's way: the domain's policy is not split and hashed again on every attempt).
     */
    public static List<SessionResult> of(DeliveryAttemptReport report, AppliedPolicies policies) {
        List<SessionResult> dane = domainDane(report);
        if (dane != null) {
            return dane;
        }
        switch (report.published()) {
            case APPLIED:
                return sessions(report, policies.sts(report.domain(), report.policyText(), report.policyMx()), true);
            case NONE:
                return sessions(report, policies.none(report.domain()), false);
            case FETCH_FAILED:
                return fetchFailed(report);
            case NOT_CONSULTED:
            case UNKNOWN:
            default:
                return sessions(report, null, false); // the DANE hosts only
        }
    }

    /**
     * The result of an attempt DANE deferred before any MX was tried (RFC 7672 §2.1.1, §2.2.1), or null when
     * DANE let the MX hosts be tried: a bogus MX RRset is one {@code dnssec-invalid} failure, DANE required
     * and the MX RRset not secure one {@code dane-required} failure, both under a {@code tlsa} policy of the
     * recipient domain (where that RRset lives) without records; an unanswered MX lookup, nothing.
     */
    private static List<SessionResult> domainDane(DeliveryAttemptReport report) {
        DaneDomain.Status status = report.daneStatus();
        if (status == DaneDomain.Status.BOGUS) {
            return List.of(SessionResult.failure(AppliedPolicy.tlsa(report.domain(), List.of()),
                    new FailureDetail(ResultType.DNSSEC_INVALID, null, null, null, null, null, DNSSEC_INVALID_MX)));
        }
        if (report.daneRequired() && status == DaneDomain.Status.INSECURE) {
            return List.of(SessionResult.failure(AppliedPolicy.tlsa(report.domain(), List.of()),
                    new FailureDetail(ResultType.DANE_REQUIRED, null, null, null, null, null, DANE_REQUIRED_DOMAIN)));
        }
        // unanswered, or required while validation is unavailable here: our side, not reported
        return report.daneVerdict() == DeliveryAttemptReport.DaneVerdict.DEFERRED && report.mx().isEmpty()
                && status != DaneDomain.Status.SECURE ? List.of() : null;
    }

    /**
     * The sessions of {@code report}: hosts DANE governed ({@link MxResult#dane()}) under their {@code tlsa}
     * policy (RFC 8461 §2), the others under {@code policy} (none: not counted).
     */
    private static List<SessionResult> sessions(DeliveryAttemptReport report, AppliedPolicy policy, boolean sts) {
        List<SessionResult> out = new ArrayList<>(report.mx().size());
        for (MxResult m : report.mx()) {
            if (m.dane() != null) {
                SessionResult r = daneSession(m);
                if (r != null) {
                    out.add(r);
                }
                continue;
            }
            if (policy == null) {
                continue;
            }
            if (sts && !m.matched()) {
                // RFC 8461 §4.1: the MX is not one the policy allows; counted whether or not it was used
                out.add(SessionResult.failure(policy, detail(ResultType.VALIDATION_FAILURE, m, MX_MISMATCH)));
                continue;
            }
            if (m.starttls() == Starttls.NOT_OFFERED) {
                out.add(SessionResult.failure(policy, detail(ResultType.STARTTLS_NOT_SUPPORTED, m, null)));
                continue;
            }
            if (m.starttls() == Starttls.UNKNOWN) {
                continue; // no TLS negotiation attempted (or none observed): nothing to report
            }
            ResultType failure = tlsFailure(m);
            if (failure == null) {
                out.add(SessionResult.success(policy));
            } else {
                out.add(SessionResult.failure(policy, detail(failure, m, reasonCode(m.error()))));
            }
        }
        return out;
    }

    /**
     * One session with an MX host DANE governed (RFC 7672), under the {@code tlsa} policy of its TLSA base
     * domain; null when not counted (an unanswered lookup or a disagreement of our resolvers: not the
     * domain's doing; a connection that failed before STARTTLS).
     */
    private static SessionResult daneSession(MxResult m) {
        DeliveryAttemptReport.DaneMx d = m.dane();
        AppliedPolicy policy = AppliedPolicy.tlsa(d.tlsaBase() == null ? m.host() : d.tlsaBase(), d.policyStrings());
        if (d.status() == DaneHost.Status.FAILED) {
            if (d.failure() == DaneHost.Failure.DNSSEC_INVALID) {
                // the validator's text holds signature dates: a constant code keeps the day's results together
                return SessionResult.failure(policy, detail(ResultType.DNSSEC_INVALID, m,
                        d.tlsaBase() == null ? DNSSEC_INVALID_ADDRESS : DNSSEC_INVALID_TLSA));
            }
            if (d.failure() == DaneHost.Failure.DANE_REQUIRED) {
                return SessionResult.failure(policy, detail(ResultType.DANE_REQUIRED, m, DANE_REQUIRED_HOST));
            }
            return null;
        }
        if (m.starttls() == Starttls.NOT_OFFERED) {
            return SessionResult.failure(policy, detail(ResultType.STARTTLS_NOT_SUPPORTED, m, null));
        }
        if (m.starttls() == Starttls.UNKNOWN) {
            return null;
        }
        if (d.status() == DaneHost.Status.UNUSABLE) {
            // RFC 8460 §4.3.2.1 tlsa-invalid: none of the records in the RRset is valid (usable), whatever
            // authenticated the session instead
            return SessionResult.failure(policy, detail(ResultType.TLSA_INVALID, m, NO_USABLE_TLSA));
        }
        if (d.verification() == TlsaVerification.Outcome.MATCHED && m.certificate() == CertificateVerdict.VALID) {
            return SessionResult.success(policy);
        }
        if (d.verification() == TlsaVerification.Outcome.MISMATCH) {
            return SessionResult.failure(policy, detail(ResultType.TLSA_INVALID, m, reasonCode(m.error())));
        }
        if (d.verification() == TlsaVerification.Outcome.NAME_MISMATCH) {
            return SessionResult.failure(policy, detail(ResultType.CERTIFICATE_HOST_MISMATCH, m, reasonCode(m.error())));
        }
        ResultType failure = tlsFailure(m);
        return SessionResult.failure(policy, detail(failure == null ? ResultType.VALIDATION_FAILURE : failure, m,
                reasonCode(m.error())));
    }

    /** The RFC 8460 §4.3.1 type of a session that offered STARTTLS, or null when TLS succeeded. */
    private static ResultType tlsFailure(MxResult m) {
        switch (m.certificate()) {
            case VALID:
                return null;
            case EXPIRED:
                return ResultType.CERTIFICATE_EXPIRED;
            case HOST_MISMATCH:
                return ResultType.CERTIFICATE_HOST_MISMATCH;
            case UNTRUSTED:
                return ResultType.CERTIFICATE_NOT_TRUSTED;
            case PROTOCOL_TOO_OLD:
            case HANDSHAKE_FAILED:
            case DANE_MISMATCH:
            case NOT_CHECKED: // offered but no verdict: the handshake did not complete
            default:
                return ResultType.VALIDATION_FAILURE;
        }
    }

    private static List<SessionResult> fetchFailed(DeliveryAttemptReport report) {
        // RFC 8460 §4.4: the policy-type is sts (a record says the domain publishes one); its text is unknown
        AppliedPolicy policy = AppliedPolicy.sts(report.domain(), null, List.of());
        ResultType type = ResultType.ofPolicyFetch(report.fetchFailure());
        String code = fetchReasonCode(report.fetchFailure());
        List<SessionResult> out = new ArrayList<>(Math.max(1, report.mx().size()));
        boolean anySts = false;
        for (MxResult m : report.mx()) {
            if (m.dane() != null) {
                SessionResult r = daneSession(m); // DANE governs this host (RFC 8461 §2), not the failed fetch
                if (r != null) {
                    out.add(r);
                }
            } else if (m.receivingIp() != null || m.delivered() || m.starttls() != Starttls.UNKNOWN) {
                out.add(SessionResult.failure(policy, detail(type, m, code)));
                anySts = true;
            }
        }
        if (!anySts) {
            out.add(SessionResult.failure(policy, new FailureDetail(type, null, null, null, null, null, code)));
        }
        return out;
    }

    /** {@code policy-fetch-<kind>}, e.g. {@code policy-fetch-http-status}; {@code policy-fetch} when unknown. */
    static String fetchReasonCode(FetchFailure failure) {
        return failure == null ? "policy-fetch"
                : "policy-fetch-" + failure.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static FailureDetail detail(ResultType type, MxResult m, String reasonCode) {
        return new FailureDetail(type, m.sendingIp(), m.host(), null, m.receivingIp(), null, reasonCode);
    }

    private static String reasonCode(String error) {
        return error == null ? null : SafeText.of(error, REASON_CODE_MAX);
    }
}
