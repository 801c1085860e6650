package dev.jamesmtasts.james;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;

import dev.jamesmtasts.dane.DaneDomain;
import dev.jamesmtasts.dane.DaneHost;
import dev.jamesmtasts.james.AttemptContext.Application;
import dev.jamesmtasts.james.DeliveryAttemptReport.DaneVerdict;
import dev.jamesmtasts.james.DeliveryAttemptReport.DeliveryOutcome;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.Starttls;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * Builds the {@link DeliveryAttemptReport} of one attempt from the decision taken before it, what
 * the MX hosts did ({@link AttemptContext}) and James's result: the verdict, and the reason
 * completed with what failed (under enforce) or what would have failed (testing, RFC 8461 §5).
 */
final class AttemptReports {
    private AttemptReports() {
    }

    static DeliveryAttemptReport build(String mailName, String domain, int attemptNumber, AttemptDecision d,
                                       AttemptContext context, ExecutionResult result) {
        return build(mailName, domain, attemptNumber, d, context, result, false);
    }

    /** @param tlsReport the mail is a TLS-RPT report ({@link TlsRptListener#isTlsReport}) */
    static DeliveryAttemptReport build(String mailName, String domain, int attemptNumber, AttemptDecision d,
                                       AttemptContext context, ExecutionResult result, boolean tlsReport) {
        DeliveryOutcome outcome = outcome(result);
        Verdict verdict;
        String reason = d.reason();
        if (d.fixedVerdict != null) {
            verdict = d.fixedVerdict;
        } else if (d.application == Application.ENFORCE) {
            verdict = outcome == DeliveryOutcome.DELIVERED ? Verdict.ENFORCED_DELIVERED
                    : outcome == DeliveryOutcome.TEMPORARY_FAILURE ? Verdict.ENFORCED_DEFERRED : Verdict.ENFORCED_FAILED;
            if (outcome != DeliveryOutcome.DELIVERED && context.anySkipped()) {
                reason = reason + "; " + context.failureSummary();
            }
        } else {
            verdict = context.anyWouldFail() ? Verdict.TESTING_WOULD_FAIL : Verdict.TESTING_OK;
            if (verdict == Verdict.TESTING_WOULD_FAIL) {
                reason = reason + "; would fail under enforce: " + wouldFailSummary(context);
            }
        }
        DaneVerdict dane = daneVerdict(context, outcome);
        if (dane == DaneVerdict.DEFERRED) {
            reason = reason + "; " + (context.dane.defer() ? "DANE: " + context.dane.detail() : context.failureSummary());
        }
        // Every network part of the reason was escaped and capped where it was built (cache reasons in
        // mtasts/cache, per-MX reasons in the hook); this only holds the whole to one cap (a scan,
        // the string itself is returned when it is safe and fits).
        return new DeliveryAttemptReport(Instant.now(), mailName, domain, attemptNumber, verdict, d.origin,
                d.policy == null ? null : d.policy.mode().text(), d.policyId,
                d.policy == null ? null : d.policy.text(), SafeText.display(reason), outcome, context.results,
                mxPatterns(d), d.published, d.fetchFailure, tlsReport, dane, context.dane.status(),
                context.dane.required(), context.dane.detail());
    }

    /**
     * What DANE did for the attempt (RFC 7672): deferred when the domain's DANE decision deferred it or
     * a host with TLSA records (or required to have them) failed and nothing was delivered; authenticated or
     * TLS only by the host that took the mail; failed when a DANE host refused it permanently.
     */
    static DaneVerdict daneVerdict(AttemptContext context, DeliveryOutcome outcome) {
        if (context.dane.defer()) {
            return DaneVerdict.DEFERRED;
        }
        if (context.dane.status() == DaneDomain.Status.OFF) {
            return DaneVerdict.OFF;
        }
        MxResult last = context.results.isEmpty() ? null : context.results.get(context.results.size() - 1);
        switch (outcome) {
            case DELIVERED:
                if (last != null && last.delivered() && last.dane() != null) {
                    return last.dane().status() == DaneHost.Status.USABLE ? DaneVerdict.AUTHENTICATED : DaneVerdict.TLS_ONLY;
                }
                return DaneVerdict.NOT_APPLICABLE;
            case PERMANENT_FAILURE:
                return last != null && last.dane() != null ? DaneVerdict.FAILED : DaneVerdict.NOT_APPLICABLE;
            case TEMPORARY_FAILURE:
            default:
                for (MxResult r : context.results) {
                    if (r.dane() != null && !r.delivered()) {
                        return DaneVerdict.DEFERRED;
                    }
                }
                return DaneVerdict.NOT_APPLICABLE;
        }
    }

    private static List<String> mxPatterns(AttemptDecision d) {
        if (d.policy == null) {
            return List.of();
        }
        List<String> mx = new ArrayList<>(d.policy.mx().size());
        for (dev.jamesmtasts.mtasts.MxPattern p : d.policy.mx()) {
            mx.add(p.toString());
        }
        return mx;
    }

    static DeliveryOutcome outcome(ExecutionResult result) {
        return result.getExecutionState() == ExecutionResult.ExecutionState.SUCCESS ? DeliveryOutcome.DELIVERED
                : result.isPermanent() ? DeliveryOutcome.PERMANENT_FAILURE : DeliveryOutcome.TEMPORARY_FAILURE;
    }

    /**
     * "host: why; host: why" over the hosts used that would fail an enforce policy (RFC 8461 §4.1,
     * §4.2), at most {@value AttemptContext#SUMMARY_HOSTS} of them then "and N more".
     */
    static String wouldFailSummary(AttemptContext context) {
        List<String> failing = new ArrayList<>(context.results.size());
        for (MxResult r : context.results) {
            if (r.failsEnforce()) {
                String why;
                if (!r.matched()) {
                    why = "not in the policy's mx list";
                } else if (r.starttls() != Starttls.OFFERED) {
                    why = r.starttls() == Starttls.NOT_OFFERED
                            ? "STARTTLS not offered" : "STARTTLS not attempted (startTLS=false)";
                } else {
                    why = "certificate " + r.certificate().name().toLowerCase(Locale.ROOT);
                }
                failing.add(r.host() + ": " + why);
            }
        }
        return SafeText.list(failing, AttemptContext.SUMMARY_HOSTS, "; ");
    }
}
